"""`pii`: strip personal data and secrets from every string of every record (Presidio).

Every string a record holds is scrubbed: system prompts, user and assistant turns, tool-call
argument values (JSON walked, still valid JSON after), tool results and tool descriptions. Each
record's ``id`` is recomputed from its scrubbed content, so no id is a hash of raw personal
data; records that become identical once scrubbed are dropped as duplicates and counted. The
report holds entity types and counts only, never a value.
"""

from __future__ import annotations

from pathlib import Path

from slmconvert.config import PiiConfig
from slmconvert.progress import NoProgress, Progress
from slmconvert.records import record_id
from slmconvert.stagedir import StageOutput, StageResult, open_input

PACKAGES = ("presidio-analyzer", "spacy", "faker")


def run(
    input_dir: str | Path,
    output: str | Path,
    config: PiiConfig | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> StageResult:
    """Scrub the records of a collect stage directory into ``output``."""
    from slmconvert.pii import Scrubber
    from slmconvert.pii.measured import detector_rows, measured

    config = config or PiiConfig()
    progress = progress or NoProgress()
    src = open_input(input_dir, expect=("collect",))
    settings = config.settings()
    seen: set[str] = set()
    duplicates = 0
    with (
        Scrubber(settings) as scrubber,
        StageOutput(
            output,
            "pii",
            config.model_dump(),
            inputs=[src.as_input_entry()],
            lineage=src.lineage,
            force=force,
            seed=config.seed,
            packages=PACKAGES,
        ) as out,
    ):
        report = scrubber.new_report()
        writer = out.records()
        progress.start("pii", total=src.manifest.get("counts", {}).get("records"))
        for batch in src.iter_batches(config.batch_size):
            kept, part = scrubber.scrub_parallel(batch)
            report.merge(part)
            unique = []
            for record in kept:
                record["id"] = record_id(record["messages"], record["tools"], record["response"])
                if record["id"] in seen:
                    duplicates += 1
                    continue
                seen.add(record["id"])
                unique.append(record)
            writer.write(unique)
            progress.advance(len(batch))
        progress.finish()
        found = report.to_dict()
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
            "strings_seen": found["strings_seen"],
            "strings_analysed": found["strings_analysed"],
            "strings_skipped": found["strings_skipped"],
            "strings_cached": found["strings_cached"],
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
    return StageResult(out.out, out.manifest)


def ner_off_warning(missing: list[str]) -> str:
    """What running without a spaCy NER model misses, and how to fix it."""
    return (
        "NER is off (no spaCy model installed): pattern and gazetteer recognizers only, so "
        f"{', '.join(missing) or 'names and places'} can be missed in free text (names neither "
        "in the census lists nor cued, places other than towns, organisations); install a "
        "model with "
        "`python -m spacy download en_core_web_lg` (or pass --spacy-model)"
    )
