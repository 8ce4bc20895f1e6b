"""Scrub personal data and secrets from canonical records.

``Scrubber(settings).scrub_batch(records)`` returns ``(kept_records, PiiReport)``:

1. every record is copied and walked into slots (``walk.record_slots``);
2. each *distinct* slot text not yet in the scrubber's cache is analysed once (agent logs repeat
   the same system prompt, tool descriptions and conversation history thousands of times), in
   this process (``scrub_batch``) or spread over worker processes (``scrub_parallel``);
3. per record: a value found anywhere in the record is also replaced wherever else it occurs
   in that record, then each finding is replaced according to the mode. Placeholders are
   numbered per entity type in order of first appearance; the same value gets the same
   placeholder (or fake) everywhere in the record.

Analysis results depend only on the text, and step 3 always runs in this process in record
order, so the serial and parallel paths give identical output.
"""

from __future__ import annotations

import multiprocessing
import os
import weakref
from collections.abc import Iterable
from typing import Any

from slmconvert.core.forking import start_method
from slmconvert.pii.engine import Analyzer, Span, build_analyzer
from slmconvert.pii.fakes import SurrogateFactory
from slmconvert.pii.report import PiiReport
from slmconvert.pii.settings import PiiSettings
from slmconvert.pii.walk import Slot, record_slots

MIN_PROPAGATED_LENGTH = 3
"""Found values shorter than this are not searched for elsewhere in the record."""


class Scrubber:
    """Finds and replaces personal data in batches of canonical records.

    Holds one analyzer, a cache of analysis results by string (kept across batches, cleared
    when it outgrows ``cache_size``) and, once ``scrub_parallel`` is used, a pool of worker
    processes; call ``close()`` or use it as a context manager to stop them.
    """

    def __init__(self, settings: PiiSettings | None = None, *, cache_size: int = 250_000):
        self.settings = settings or PiiSettings()
        self.analyzer: Analyzer = build_analyzer(self.settings)
        self.info = self.analyzer.info
        self.cache_size = cache_size
        self._cache: dict[str, tuple[Span, ...]] = {}
        self._fakes = (
            SurrogateFactory(self.settings.seed) if self.settings.mode == "surrogate" else None
        )
        drop = self.settings.drop_entities
        self.drop_entities = frozenset(drop if drop is not None else self.info.entities)
        self._pool = None
        self._pool_workers = 0
        self._finalizer = None

    # -- public API -------------------------------------------------------------------------

    def scrub_batch(self, records: Iterable[dict]) -> tuple[list[dict], PiiReport]:
        """Scrub records in this process; returns the kept records and the batch's report."""
        return self._scrub(list(records), self._analyse_here)

    def scrub_parallel(
        self, records: Iterable[dict], workers: int | None = None
    ) -> tuple[list[dict], PiiReport]:
        """Like ``scrub_batch`` but analyses distinct strings in ``workers`` processes
        (default ``settings.workers``; 0 = all cores). Output is identical to ``scrub_batch``."""
        n = resolve_workers(self.settings.workers if workers is None else workers)
        if n <= 1:
            return self.scrub_batch(records)
        return self._scrub(list(records), lambda texts, rep: self._analyse_pool(texts, rep, n))

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
            if self._finalizer is not None:
                self._finalizer.detach()

    def __enter__(self) -> Scrubber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def new_report(self) -> PiiReport:
        """An empty report carrying this scrubber's mode and NER state."""
        return PiiReport(
            mode=self.settings.mode,
            ner=self.info.ner,
            model=self.info.model,
            ner_missing=self.info.ner_missing,
        )

    # -- analysis -----------------------------------------------------------------------------

    def _analyse_here(self, texts: list[str], report: PiiReport) -> list[tuple[Span, ...]]:
        stats = {"analysed": 0, "skipped": 0}
        out = self.analyzer.analyze_many(texts, stats)
        report.strings_analysed += stats["analysed"]
        report.strings_skipped += stats["skipped"]
        return out

    def _analyse_pool(self, texts: list[str], report: PiiReport, workers: int) -> list:
        if not texts:
            return []
        pool = self._get_pool(workers)
        size = max(32, min(1000, len(texts) // (workers * 8) + 1))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        out: list[tuple[Span, ...]] = []
        for results, stats in pool.imap(_worker_analyse, chunks):
            out.extend(results)
            report.strings_analysed += stats["analysed"]
            report.strings_skipped += stats["skipped"]
        return out

    def _get_pool(self, workers: int):
        if self._pool is not None and self._pool_workers == workers:
            return self._pool
        self.close()
        ctx = multiprocessing.get_context(start_method())
        # Forked workers inherit the analyzer built in this process; spawned ones build their own.
        self._pool = ctx.Pool(workers, initializer=_worker_init, initargs=(self.settings,))
        self._pool_workers = workers
        self._finalizer = weakref.finalize(self, self._pool.terminate)
        return self._pool

    # -- the batch ----------------------------------------------------------------------------

    def _scrub(self, records: list[dict], analyse) -> tuple[list[dict], PiiReport]:
        report = self.new_report()
        prepared = [record_slots(r) for r in records]
        cache = self._cache
        if len(cache) >= self.cache_size:
            cache.clear()
        distinct: dict[str, None] = {}
        for _, slots, _ in prepared:
            report.strings_seen += len(slots)
            for slot in slots:
                distinct[slot.text] = None
        texts = [text for text in distinct if text not in cache]
        report.strings_distinct = len(distinct)
        report.strings_cached = len(distinct) - len(texts)
        cache.update(zip(texts, analyse(texts, report), strict=True))

        kept = []
        report.records_in = len(records)
        for new, slots, docs in prepared:
            found = [_value_spans(slot, cache[slot.text]) for slot in slots]
            _propagate(slots, found)
            for slot, spans in zip(slots, found, strict=True):
                for _, _, entity in spans:
                    report.count(entity, slot.location)
            if self.settings.mode == "drop" and any(
                entity in self.drop_entities for spans in found for _, _, entity in spans
            ):
                report.records_dropped += 1
                continue
            if self._replace(slots, found):
                report.records_touched += 1
                for doc in docs:
                    doc.finish()
            kept.append(new)
        report.records_kept = len(kept)
        return kept, report

    def _replace(self, slots: list[Slot], found: list[list[Span]]) -> bool:
        mapping: dict[tuple[str, str], str] = {}
        numbers: dict[str, int] = {}
        touched = False
        for slot, spans in zip(slots, found, strict=True):
            if not spans:
                continue
            value = slot.value
            pieces, pos = [], 0
            for start, end, entity in spans:
                original = value[start:end]
                key = (entity, original)
                replacement = mapping.get(key)
                if replacement is None:
                    if self._fakes is not None:
                        replacement = self._fakes.fake(entity, original)
                    else:
                        numbers[entity] = numbers.get(entity, 0) + 1
                        replacement = f"<{entity}_{numbers[entity]}>"
                    mapping[key] = replacement
                pieces.append(value[pos:start])
                pieces.append(replacement)
                pos = end
            pieces.append(value[pos:])
            slot.write("".join(pieces))
            touched = True
        return touched


def _value_spans(slot: Slot, spans: tuple[Span, ...]) -> list[Span]:
    """Findings relative to the slot's value (the key prefix is context only)."""
    off = slot.offset
    if not off:
        return list(spans)
    return [(max(s, off) - off, e - off, ent) for s, e, ent in spans if e > off]


def _propagate(slots: list[Slot], found: list[list[Span]]) -> None:
    """Mark every other whole-token occurrence, in the record, of a value found in it."""
    values: dict[str, str] = {}
    for slot, spans in zip(slots, found, strict=True):
        value = slot.value
        for s, e, ent in spans:
            if e - s >= MIN_PROPAGATED_LENGTH:
                values.setdefault(value[s:e], ent)
    if not values:
        return
    ordered = sorted(values.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    for i, slot in enumerate(slots):
        text = slot.value
        spans = found[i]
        added = False
        for needle, entity in ordered:
            start = text.find(needle)
            while start != -1:
                end = start + len(needle)
                if _free(text, start, end) and all(end <= s or start >= e for s, e, _ in spans):
                    spans.append((start, end, entity))
                    added = True
                start = text.find(needle, start + 1)
        if added:
            spans.sort()


def _free(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (
        end == len(text) or not text[end].isalnum()
    )


def resolve_workers(workers: int) -> int:
    """``workers`` processes, 0 meaning all cores of this machine."""
    return workers if workers > 0 else (os.cpu_count() or 1)


def scrub_records(
    records: Iterable[dict], settings: PiiSettings | None = None
) -> tuple[list[dict], PiiReport]:
    """One-shot helper: scrub ``records`` with ``settings`` (parallel when workers != 1)."""
    with Scrubber(settings) as scrubber:
        return scrubber.scrub_parallel(records)


# -- worker processes ----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _worker_init(settings: PiiSettings) -> None:
    _WORKER["analyzer"] = build_analyzer(settings)


def _worker_analyse(texts: list[str]) -> tuple[list[tuple[Span, ...]], dict[str, int]]:
    stats = {"analysed": 0, "skipped": 0}
    return _WORKER["analyzer"].analyze_many(texts, stats), stats
