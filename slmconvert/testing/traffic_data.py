"""Word tables for `slmconvert.testing.traffic`: prompts, tools, templates, products, policies.

Everything here is plain data (tuples of strings with ``{field}`` slots filled by the generator),
so the wording can grow without touching the generator's logic.
"""

from __future__ import annotations

# One module per task under slmconvert/testing/wording/; this index keeps `D.NAME` working.
from slmconvert.testing.wording.catalogue import *  # noqa: F403
from slmconvert.testing.wording.extraction import *  # noqa: F403
from slmconvert.testing.wording.faq import *  # noqa: F403
from slmconvert.testing.wording.gateway import *  # noqa: F403
from slmconvert.testing.wording.order_status import *  # noqa: F403
from slmconvert.testing.wording.routing import *  # noqa: F403
from slmconvert.testing.wording.summarization import *  # noqa: F403
