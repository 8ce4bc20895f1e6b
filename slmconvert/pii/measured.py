"""Which detectors ran for each entity type, and how well they did when last measured.

``data/measured_recall.json`` is written by ``bench/pii_eval.py --save-measured`` (a labelled
corpus of agent calls, NER off, gazetteers on) and shipped with the package, so the pii stage
can say in its manifest and summary what each entity type's detectors found there.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Any

import orjson

MEASURED_FILE = "measured_recall.json"


@lru_cache(maxsize=1)
def measured() -> dict[str, Any]:
    """The last measurement: ``{"source": ..., "recall": {entity: {"all": r, "latin": r,
    "other": r}}}``; entity types the corpus does not plant have no entry."""
    path = files("slmconvert.pii").joinpath("data", MEASURED_FILE)
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:  # pragma: no cover - a checkout without the bench result
        return {"source": None, "recall": {}}


def detector_rows(detectors: tuple[tuple[str, tuple[str, ...]], ...], entities) -> list[dict]:
    """Per entity type looked for: the detectors that ran for it and its measured recall.

    ``detectors`` pairs each recognizer's name with its entity types (``EngineInfo``)."""
    recall = measured().get("recall", {})
    rows = []
    for entity in entities:
        names = [name for name, ents in detectors if entity in ents]
        rows.append(
            {
                "entity": entity,
                "detectors": names,
                "measured_recall": recall.get(entity),
            }
        )
    return rows
