"""The stages' settings models, documented as ``slmconvert.config``; they live in
`slmconvert.core.config`, re-exported here."""

from slmconvert.core.config import *  # noqa: F403
