"""Score the pii detectors on a labelled corpus (``pii_corpus``), the way Presidio's evaluator
does: recall per planted value, precision per reported entity type, survival of hard negatives.

Two views of the same samples:

- **spans**: every string of a record as the scrubber analyses it (``walk.record_slots``, JSON
  values with their key), through the analyzer; a planted value is *found* when reported spans
  cover all of it, a reported span is *right* when it overlaps a planted value;
- **leaks**: the records through the ``Scrubber`` itself; a planted value *leaks* when one of its
  words (three characters or more, absent from the record around it) is still in the output,
  and a hard negative *survives* when it is still there whole.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from slmconvert.pii.walk import record_slots
from slmconvert.testing.pii_corpus import Sample

_PARTICLES = frozenset("van der den von del dos das die and".split())


@dataclass
class Scores:
    """Counts behind every rate the harness prints; keys are tuples of labels."""

    planted: Counter = field(default_factory=Counter)  # (kind, script, location)
    found: Counter = field(default_factory=Counter)
    leaked: Counter = field(default_factory=Counter)
    secret_planted: Counter = field(default_factory=Counter)  # secret type
    secret_found: Counter = field(default_factory=Counter)
    secret_leaked: Counter = field(default_factory=Counter)
    reported: Counter = field(default_factory=Counter)  # entity type reported
    right: Counter = field(default_factory=Counter)
    negatives: Counter = field(default_factory=Counter)  # negative kind
    survived: Counter = field(default_factory=Counter)
    wrong_examples: dict = field(default_factory=lambda: defaultdict(list))

    def recall(self, kind: str, script: str | None = None, location: str | None = None) -> float:
        """Share of planted values of ``kind`` found (optionally one script and location)."""
        keys = [
            k
            for k in self.planted
            if k[0] == kind and script in (None, k[1]) and location in (None, k[2])
        ]
        total = sum(self.planted[k] for k in keys)
        return sum(self.found[k] for k in keys) / total if total else float("nan")

    def leaks(self, kind: str) -> int:
        """How many planted values of ``kind`` leaked through the scrubber."""
        return sum(v for k, v in self.leaked.items() if k[0] == kind)

    def precision(self, entity: str) -> float:
        """Share of reported ``entity`` spans that overlap a planted value."""
        n = self.reported[entity]
        return self.right[entity] / n if n else float("nan")

    def survival(self) -> float:
        """Share of hard negatives left whole by the scrubber."""
        n = sum(self.negatives.values())
        return sum(self.survived.values()) / n if n else float("nan")


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(value), text)]


def _covered(text: str, start: int, end: int, spans: Iterable[tuple[int, int, str]]) -> bool:
    """Every character of ``text[start:end]`` but spaces and punctuation is inside a span."""
    covered = [not text[i].isalnum() for i in range(start, end)]
    for s, e, _ in spans:
        for i in range(max(s, start), min(e, end)):
            covered[i - start] = True
    return all(covered)


def _words(value: str) -> list[str]:
    if " " not in value and not value.isascii() and len(value) <= 8:
        return [value]  # a name in a script written without spaces
    words = re.findall(r"[^\s,.;:()\"']+", value)
    return [w for w in words if len(w) >= 3 and w.lower() not in _PARTICLES]


def score_spans(samples: list[Sample], analyzer, scores: Scores) -> None:
    """Add the span view of ``samples`` (analysed with ``analyzer``) to ``scores``."""
    texts, owners = [], []
    for i, sample in enumerate(samples):
        for slot in record_slots(sample.record)[1]:
            texts.append(slot.text)
            owners.append((i, slot.offset))
    results = analyzer.analyze_many(texts)
    hit: dict[int, bool] = {}
    for text, (i, offset), spans in zip(texts, owners, results, strict=True):
        sample = samples[i]
        spans = [s for s in spans if s[1] > offset]
        gold = [] if sample.kind == "NEGATIVE" else _occurrences(text, sample.value)
        for start, end in gold:
            hit[i] = hit.get(i, True) and _covered(text, start, end, spans)
        for s, e, entity in spans:
            scores.reported[entity] += 1
            if any(s < ge and e > gs for gs, ge in gold):
                scores.right[entity] += 1
            elif len(scores.wrong_examples[entity]) < 8:
                scores.wrong_examples[entity].append(text[s:e])
    for i, sample in enumerate(samples):
        if sample.kind == "NEGATIVE":
            continue
        key = (sample.kind, sample.script, sample.location)
        scores.planted[key] += 1
        scores.found[key] += bool(hit.get(i))
        if sample.kind == "SECRET":
            scores.secret_found[sample.detail] += bool(hit.get(i))


def score_leaks(samples: list[Sample], scrubbed: list[dict], scores: Scores) -> None:
    """Add the scrubber view: ``scrubbed[i]`` is ``samples[i].record`` after the pii stage."""
    for sample, out in zip(samples, scrubbed, strict=True):
        before = "\n".join(s.value for s in record_slots(sample.record)[1])
        after = "\n".join(s.value for s in record_slots(out)[1])
        if sample.kind == "NEGATIVE":
            scores.negatives[sample.detail] += 1
            scores.survived[sample.detail] += sample.value in after
            continue
        around = before.replace(sample.value, " ")
        leaked = any(
            re.search(rf"(?<!\w){re.escape(w)}(?!\w)", after)
            and not re.search(rf"(?<!\w){re.escape(w)}(?!\w)", around)
            for w in _words(sample.value)
        )
        if sample.kind == "SECRET":
            scores.secret_planted[sample.detail] += 1
            scores.secret_leaked[sample.detail] += leaked
        if leaked:
            scores.leaked[(sample.kind, sample.script, sample.location)] += 1


def measure(samples: list[Sample], gazetteers: list[str]) -> Scores:
    """Both views of ``samples`` with the default detectors and these gazetteers, NER off."""
    from slmconvert.pii import PiiSettings
    from slmconvert.pii.engine import build_analyzer
    from slmconvert.pii.scrub import Scrubber

    settings = PiiSettings(gazetteers=gazetteers, workers=1)
    scores = Scores()
    score_spans(samples, build_analyzer(settings), scores)
    with Scrubber(settings) as scrubber:
        scrubbed, _ = scrubber.scrub_batch([s.record for s in samples])
    by_id = {r["id"]: r for r in scrubbed}
    score_leaks(samples, [by_id[s.record["id"]] for s in samples], scores)
    return scores
