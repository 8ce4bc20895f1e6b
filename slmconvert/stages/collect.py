"""`collect`: read agent logs in any registered format into canonical records.

Each input file is detected on its first recognisable object (or forced with ``format``), parsed
object by object, and streamed into Parquet shards. Malformed objects are skipped and counted by
reason; exact duplicates are dropped and counted. Nothing here ever records a field's value.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmconvert import formats, sources
from slmconvert.config import CollectConfig
from slmconvert.errors import BadRecord, InputError
from slmconvert.formats.registry import Ignored, ParseContext, Parser
from slmconvert.progress import NoProgress, Progress
from slmconvert.stagedir import RecordWriter, StageOutput, StageResult

MAX_LISTED_BAD = 20
MAX_UNDETECTED = 20
FLUSH_EVERY = 5_000
_INDEX = re.compile(r"\[\d+\]")


@dataclass
class Tally:
    """Running counts for the manifest and the summary."""

    records: int = 0
    duplicates: int = 0
    bad: int = 0
    by_format: Counter = field(default_factory=Counter)
    bad_by_reason: Counter = field(default_factory=Counter)
    ignored_by_reason: Counter = field(default_factory=Counter)
    bad_examples: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: int = 0
    invalid_arguments: int = 0

    def add_bad(self, file: str, line: int, where: str, reason: str) -> None:
        self.bad += 1
        self.bad_by_reason[f"{_INDEX.sub('[]', where)}: {reason}"] += 1
        if len(self.bad_examples) < MAX_LISTED_BAD:
            self.bad_examples.append(f"{file}:{line}: {where}: {reason}")

    def add_record(self, record: dict) -> None:
        self.records += 1
        self.by_format[record["source"]["format"]] += 1
        usage = record["usage"]
        self.input_tokens += usage["input_tokens"] or 0
        self.output_tokens += usage["output_tokens"] or 0
        if record["cost_usd"] is not None:
            self.cost_usd += record["cost_usd"]
            self.cost_known += 1
        if not record["arguments_valid"]:
            self.invalid_arguments += 1


class _Sink:
    """Deduplicates records and writes them in batches."""

    def __init__(self, writer: RecordWriter, tally: Tally, dedup: bool):
        self.writer, self.tally, self.dedup = writer, tally, dedup
        self.seen: set[int] = set()
        self.pending: list[dict] = []

    def add(self, record: dict) -> None:
        if self.dedup:
            key = int(record["id"][:16], 16)  # 64 bits of the content hash keep memory flat
            if key in self.seen:
                self.tally.duplicates += 1
                return
            self.seen.add(key)
        self.tally.add_record(record)
        self.pending.append(record)
        if len(self.pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.writer.write(self.pending)
            self.pending = []


def _index_side_inputs(
    files: list[sources.LogFile], forced: Parser | None
) -> tuple[dict[str, dict], list[sources.LogFile], list[sources.LogFile]]:
    """Read companion files (e.g. Batch API input files) first, so outputs can join them."""
    side: dict[str, dict] = {}
    side_files, data_files = [], []
    for log in files:
        if log.path == sources.STDIN or (forced is not None and forced.side_input is None):
            data_files.append(log)
            continue
        head = sources.peek_objects(log, limit=1)
        found = formats.registry.detect_side_input(head[0]) if head else None
        if found is None:
            data_files.append(log)
            continue
        _, spec = found
        table = side.setdefault(spec.name, {})
        for _, obj in sources.iter_objects(log):
            if isinstance(obj, dict) and spec.sniff(obj):
                key, value = spec.index(obj)
                table[key] = value
        side_files.append(log)
    return side, side_files, data_files


def _parse_one(parser: Parser, obj: Any, ctx: ParseContext, sink: _Sink, tally: Tally) -> None:
    try:
        items = list(parser.parse(obj, ctx))
    except BadRecord as exc:
        tally.add_bad(ctx.file, ctx.line, exc.field, exc.reason)
        return
    except Exception as exc:  # a parser bug must cost one record, not the run
        tally.add_bad(ctx.file, ctx.line, "(record)", f"parser error ({type(exc).__name__})")
        return
    for item in items:
        if isinstance(item, dict):
            sink.add(item)
        elif isinstance(item, Ignored):
            tally.ignored_by_reason[item.reason] += 1
        elif isinstance(item, BadRecord):
            tally.add_bad(ctx.file, ctx.line, item.field, item.reason)


def _unknown_format(log: sources.LogFile) -> InputError:
    return InputError(
        f"{log.path}: unknown log format",
        f"known formats: {', '.join(formats.names())}; force one with --format NAME",
    )


def _collect_file(
    log: sources.LogFile,
    forced: Parser | None,
    side: dict,
    sink: _Sink,
    tally: Tally,
    progress: Progress,
) -> str | None:
    """Parse one file into the sink; returns the format used (None for an empty file)."""
    parser = forced
    undetected: list[tuple[int, Any]] = []
    last_bytes = 0
    for number, obj in sources.iter_objects(log):
        if isinstance(obj, sources.InvalidJSON):
            tally.add_bad(log.path, number, "line", obj.reason)
            continue
        if parser is None:
            parser = formats.detect(obj)
            if parser is None:
                undetected.append((number, obj))
                if len(undetected) >= MAX_UNDETECTED:
                    raise _unknown_format(log)
                continue
            for early_number, early in undetected:
                ctx = ParseContext(parser.name, log.path, early_number, side)
                _parse_one(parser, early, ctx, sink, tally)
            undetected = []
        _parse_one(parser, obj, ParseContext(parser.name, log.path, number, side), sink, tally)
        if log.bytes_read - last_bytes >= sources.BUFFER:
            progress.advance(log.bytes_read - last_bytes)
            last_bytes = log.bytes_read
    progress.advance(log.bytes_read - last_bytes)
    if undetected:
        raise _unknown_format(log)
    return parser.name if parser else None


def run(
    inputs: list[str],
    output: str | Path,
    config: CollectConfig | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> StageResult:
    """Collect log files (paths, directories, globs or ``-``) into canonical records at ``output``."""
    config = config or CollectConfig()
    progress = progress or NoProgress()
    forced = formats.get(config.format) if config.format else None
    files = sources.expand(inputs)
    tally = Tally()
    with StageOutput(output, "collect", config.model_dump(), force=force, seed=config.seed) as out:
        side, side_files, data_files = _index_side_inputs(files, forced)
        sink = _Sink(out.records(config.shard_rows), tally, config.dedup)
        total = sum(f.size or 0 for f in data_files) or None
        progress.start("collect", total=total)
        file_formats = {}
        for log in data_files:
            file_formats[log.path] = _collect_file(log, forced, side, sink, tally, progress)
            if file_formats[log.path] is None:
                out.warnings.append(f"{log.path}: empty, no records")
        sink.flush()
        progress.finish()
        _check_quality(tally, config)
        out.inputs = [
            {
                "path": f.path,
                "sha256": f.sha256,
                "bytes": f.bytes_read,
                "format": file_formats[f.path],
            }
            for f in data_files
        ] + [
            {"path": f.path, "sha256": f.sha256, "bytes": f.bytes_read, "role": "side input"}
            for f in side_files
        ]
        out.counts = _counts(tally, len(files))
        out.metrics = {
            "cost_usd": round(tally.cost_usd, 6) if tally.cost_known else None,
            "records_with_cost": tally.cost_known,
            "bad_ratio": round(_bad_ratio(tally), 6),
        }
        if tally.invalid_arguments:
            out.warnings.append(
                f"{tally.invalid_arguments} records hold tool-call arguments that are not valid "
                "JSON (kept verbatim, arguments_valid = false)"
            )
        out.extra["bad_examples"] = tally.bad_examples
    return StageResult(out.out, out.manifest)


def _bad_ratio(tally: Tally) -> float:
    seen = tally.bad + tally.records + tally.duplicates
    return tally.bad / seen if seen else 0.0


def _check_quality(tally: Tally, config: CollectConfig) -> None:
    first = f"; first: {tally.bad_examples[0]}" if tally.bad_examples else ""
    if tally.records == 0:
        raise InputError(f"no usable records in the input ({tally.bad} malformed{first})")
    ratio = _bad_ratio(tally)
    if ratio > config.max_bad_ratio:
        raise InputError(
            f"{tally.bad} records malformed ({ratio:.0%}, over --max-bad-ratio "
            f"{config.max_bad_ratio:.0%}){first}"
        )


def _counts(tally: Tally, files: int) -> dict:
    return {
        "files": files,
        "records": tally.records,
        "by_format": dict(sorted(tally.by_format.items())),
        "duplicates": tally.duplicates,
        "bad": tally.bad,
        "bad_by_reason": dict(tally.bad_by_reason.most_common()),
        "ignored_by_reason": dict(tally.ignored_by_reason.most_common()),
        "invalid_arguments": tally.invalid_arguments,
        "input_tokens": tally.input_tokens,
        "output_tokens": tally.output_tokens,
    }
