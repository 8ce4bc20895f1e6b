"""`pii`: strip personal data and secrets from every string of every record (Presidio).

Every string a record holds is scrubbed: system prompts, user and assistant turns, tool-call
argument values (JSON walked, still valid JSON after), tool results and tool descriptions. Each
record's ``id`` is recomputed from its scrubbed content, so no id is a hash of raw personal
data; records that become identical once scrubbed are dropped as duplicates and counted. The
report holds entity types and counts only, never a value.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from slmconvert.core.config import PiiConfig
from slmconvert.core.dedup import SeenKeys
from slmconvert.core.progress import NoProgress, Progress
from slmconvert.core.records import id_of
from slmconvert.core.stagedir import StageOutput, StageResult, open_input
from slmconvert.pii.report import PiiReport

PACKAGES = ("presidio-analyzer", "spacy", "faker")


def run(
    input_dir: str | Path,
    output: str | Path,
    config: PiiConfig | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
    log=None,
) -> StageResult:
    """Scrub the records of a collect stage directory into ``output`` (``log(line)`` gets
    notes, such as the Ray address in use)."""
    from slmconvert.pii import Scrubber

    config = config or PiiConfig()
    progress = progress or NoProgress()
    src = open_input(input_dir, expect=("collect",))
    settings = config.settings()
    with (
        Scrubber(settings) as scrubber,
        StageOutput(
            output, "pii", config.model_dump(), inputs=[src.as_input_entry()],
            lineage=src.lineage, force=force, seed=config.seed, packages=PACKAGES,
        ) as out,
    ):  # fmt: skip
        report, duplicates = _scrub_into(out, src, scrubber, config, progress, log)
        _describe(out, report.to_dict(), duplicates, scrubber, settings)
    return StageResult(out.out, out.manifest)


def _scrub_into(out, src, scrubber, config: PiiConfig, progress, log) -> tuple[PiiReport, int]:
    """Scrub every batch, drop the records scrubbing made identical, write the rest; returns
    the merged report and how many were dropped as duplicates."""
    seen = SeenKeys()  # 8 bytes per kept record: the de-duplication memory stays small
    duplicates = 0
    report = scrubber.new_report()
    writer = out.records()
    progress.start("pii", total=src.manifest.get("counts", {}).get("records"))
    for kept, part in _scrubbed(src, scrubber, config, log):
        report.merge(part)
        for record in kept:
            record["id"] = id_of(record)
        fresh = seen.first_seen([int(r["id"][:16], 16) for r in kept])
        unique = [r for r, new in zip(kept, fresh, strict=True) if new]
        duplicates += len(kept) - len(unique)
        writer.write(unique)
        progress.advance(part.records_in)
    progress.finish()
    return report, duplicates


def _describe(out, found: dict, duplicates: int, scrubber, settings) -> None:
    """The manifest's counts, metrics, detectors and warnings from the merged report."""
    from slmconvert.pii.measured import detector_rows, measured

    out.counts = {
        "records_in": found["records_in"],
        "records": found["records_kept"] - duplicates,
        "records_touched": found["records_touched"],
        "records_dropped": found["records_dropped"],
        "duplicates_after_scrub": duplicates,
        "entities": found["entities"],
        "locations": found["locations"],
    }
    out.metrics = {
        key: found[key]
        for key in ("strings_seen", "strings_analysed", "strings_skipped", "strings_cached")
    }
    out.extra["pii"] = {
        "mode": found["mode"],
        "ner": found["ner"],
        "spacy_model": found["model"],
        "ner_missing": found["ner_missing"],
        "gazetteers": list(settings.gazetteers),
        "detectors": detector_rows(scrubber.info.detectors, scrubber.info.entities),
        "measured_with": measured().get("source"),
        "by_location": found["by_location"],
    }
    if not found["ner"]:
        out.warnings.append(ner_off_warning(found["ner_missing"]))


def _scrubbed(src, scrubber, config: PiiConfig, log) -> Iterator[tuple[list[dict], PiiReport]]:
    """``(kept records, report)`` per batch, in input order, on the engine asked for."""
    if config.engine == "local":
        for batch in src.iter_batches(config.batch_size):
            yield scrubber.scrub_parallel(batch)
        return
    from slmconvert.scale import ray_engine

    address = ray_engine.connect(config.ray_address)
    if log:
        log(f"pii: Ray at {address}; unscrubbed records travel to its workers")
    actors = config.workers or os.cpu_count() or 1
    settings = asdict(scrubber.settings)
    for kept, doc in ray_engine.scrub_batches(
        src.data_files(), settings, config.batch_size, actors
    ):
        yield kept, PiiReport.from_dict(doc)


def ner_off_warning(missing: list[str]) -> str:
    """What running without a spaCy NER model misses, and how to fix it."""
    return (
        "NER is off (no spaCy model installed): pattern and gazetteer recognizers only, so "
        f"{', '.join(missing) or 'names and places'} can be missed in free text (names neither "
        "in the census lists nor cued, places other than towns, organisations); install a "
        "model with "
        "`python -m spacy download en_core_web_lg` (or pass --spacy-model)"
    )
