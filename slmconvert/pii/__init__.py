"""Find and replace personal data and secrets in canonical records (the ``pii`` stage's library).

Public API: ``PiiSettings``, ``Scrubber`` (``scrub_batch``, ``scrub_parallel``), ``scrub_records``,
``PiiReport``, ``build_analyzer``. Importing this package does not import Presidio or spaCy;
building a ``Scrubber`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slmconvert.pii.report import LOCATIONS, PiiReport
from slmconvert.pii.settings import DEFAULT_ENTITIES, MODES, NER_ONLY_ENTITIES, PiiSettings

if TYPE_CHECKING:
    from slmconvert.pii.engine import Analyzer, EngineInfo, build_analyzer
    from slmconvert.pii.scrub import Scrubber, scrub_records

__all__ = [
    "DEFAULT_ENTITIES",
    "LOCATIONS",
    "MODES",
    "NER_ONLY_ENTITIES",
    "Analyzer",
    "EngineInfo",
    "PiiReport",
    "PiiSettings",
    "Scrubber",
    "build_analyzer",
    "scrub_records",
]

_LAZY = {
    "Scrubber": "slmconvert.pii.scrub",
    "scrub_records": "slmconvert.pii.scrub",
    "Analyzer": "slmconvert.pii.engine",
    "EngineInfo": "slmconvert.pii.engine",
    "build_analyzer": "slmconvert.pii.engine",
}


def __getattr__(name: str):
    """Load the scrubber and engine modules on first use (they set up Presidio's environment)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'slmconvert.pii' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
