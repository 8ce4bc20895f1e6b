"""What the pii stage found: counts per entity type and per location, never a value."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

LOCATIONS = ("system", "user", "assistant", "arguments", "results", "tool_descriptions")
"""Where a string sits in a record: message roles, tool-call arguments, tool results, tools."""


@dataclass
class PiiReport:
    """Counts of one or more scrub calls. Holds entity type names and numbers only.

    Strings: ``strings_seen`` slots, ``strings_distinct`` distinct texts among them, each either
    served from the scrubber's cache (``strings_cached``), ruled out by the pre-filter
    (``strings_skipped``) or analysed by Presidio (``strings_analysed``).
    ``entities``/``locations`` count findings (occurrences) in every record seen, dropped ones
    included; ``by_location`` splits them by location then entity type.
    """

    mode: str = "placeholder"
    ner: bool = False
    model: str = ""
    ner_missing: tuple[str, ...] = ()
    records_in: int = 0
    records_kept: int = 0
    records_touched: int = 0
    records_dropped: int = 0
    strings_seen: int = 0
    strings_distinct: int = 0
    strings_cached: int = 0
    strings_analysed: int = 0
    strings_skipped: int = 0
    entities: Counter = field(default_factory=Counter)
    locations: Counter = field(default_factory=Counter)
    by_location: dict[str, Counter] = field(default_factory=dict)

    def count(self, entity: str, location: str) -> None:
        """Record one finding of ``entity`` at ``location``."""
        self.entities[entity] += 1
        self.locations[location] += 1
        self.by_location.setdefault(location, Counter())[entity] += 1

    def merge(self, other: PiiReport) -> PiiReport:
        """Add another report's counts into this one (same settings); returns self."""
        for name in (
            "records_in",
            "records_kept",
            "records_touched",
            "records_dropped",
            "strings_seen",
            "strings_distinct",
            "strings_cached",
            "strings_analysed",
            "strings_skipped",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.entities.update(other.entities)
        self.locations.update(other.locations)
        for loc, counts in other.by_location.items():
            self.by_location.setdefault(loc, Counter()).update(counts)
        return self

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> PiiReport:
        """The report ``to_dict`` wrote (for reports sent back by another process)."""
        report = cls(
            mode=doc["mode"], ner=doc["ner"], model=doc["model"],
            ner_missing=tuple(doc["ner_missing"]),
            entities=Counter(doc["entities"]), locations=Counter(doc["locations"]),
            by_location={loc: Counter(c) for loc, c in doc["by_location"].items()},
        )  # fmt: skip
        for name in ("records_in", "records_kept", "records_touched", "records_dropped",
                     "strings_seen", "strings_distinct", "strings_cached", "strings_analysed",
                     "strings_skipped"):  # fmt: skip
            setattr(report, name, doc[name])
        return report

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict with sorted keys for entity and location counts."""
        return {
            "mode": self.mode,
            "ner": self.ner,
            "model": self.model,
            "ner_missing": list(self.ner_missing),
            "records_in": self.records_in,
            "records_kept": self.records_kept,
            "records_touched": self.records_touched,
            "records_dropped": self.records_dropped,
            "strings_seen": self.strings_seen,
            "strings_distinct": self.strings_distinct,
            "strings_cached": self.strings_cached,
            "strings_analysed": self.strings_analysed,
            "strings_skipped": self.strings_skipped,
            "entities": dict(sorted(self.entities.items())),
            "locations": {loc: self.locations[loc] for loc in LOCATIONS if self.locations[loc]},
            "by_location": {
                loc: dict(sorted(self.by_location[loc].items()))
                for loc in LOCATIONS
                if loc in self.by_location
            },
        }
