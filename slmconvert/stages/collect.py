"""`collect`: read agent logs in any registered format into canonical records.

Each input file is detected on its first recognisable object (or forced with ``format``), parsed
object by object, and streamed into Parquet shards. Malformed objects are skipped and counted by
reason; exact duplicates are dropped and counted. Nothing here ever records a field's value.
"""

from __future__ import annotations

import os
import re
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from slmconvert import formats
from slmconvert.core.config import CollectConfig
from slmconvert.core.dedup import SeenKeys
from slmconvert.core.errors import BadRecord, InputError
from slmconvert.core.progress import NoProgress, Progress
from slmconvert.core.stagedir import RecordWriter, StageOutput, StageResult
from slmconvert.formats import sources
from slmconvert.formats.parsing import ChunkParser, ChunkResult
from slmconvert.formats.registry import Parser, SideInput

MAX_LISTED_BAD = 20
MAX_UNDETECTED = 20
CHUNK_LINES = 2_000
WRITES_IN_FLIGHT = 1
PARALLEL_BYTES = 32 << 20  # below this, starting worker processes costs more than it saves
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
    with_media: int = 0
    media_by_kind: Counter = field(default_factory=Counter)
    provider_tool_calls: int = 0

    def add_bad(self, file: str, line: int, where: str, reason: str) -> None:
        self.bad += 1
        self.bad_by_reason[f"{_INDEX.sub('[]', where)}: {reason}"] += 1
        if len(self.bad_examples) < MAX_LISTED_BAD:
            self.bad_examples.append(f"{file}:{line}: {where}: {reason}")

    def add_table(self, table: pa.Table) -> None:
        """Count the records of ``table`` (kept, i.e. not duplicates)."""
        self.records += table.num_rows
        formats_ = pc.value_counts(table["source"].combine_chunks().field("format"))
        for entry in formats_.tolist():
            self.by_format[entry["values"]] += entry["counts"]
        usage = table["usage"].combine_chunks()
        self.input_tokens += pc.sum(usage.field("input_tokens")).as_py() or 0
        self.output_tokens += pc.sum(usage.field("output_tokens")).as_py() or 0
        cost = table["cost_usd"]
        self.cost_usd += pc.sum(cost).as_py() or 0.0
        self.cost_known += len(cost) - cost.null_count
        self.invalid_arguments += table.num_rows - pc.sum(table["arguments_valid"]).as_py()
        media = pc.sum(table["has_media"]).as_py() or 0
        self.with_media += media
        turns = pc.list_flatten(table["messages"].combine_chunks())
        for msgs in (turns, table["response"].combine_chunks()):
            calls = pc.list_flatten(msgs.field("tool_calls"))
            self.provider_tool_calls += pc.sum(calls.field("provider")).as_py() or 0
            if media:
                kinds = pc.list_flatten(msgs.field("media"))
                for entry in pc.value_counts(kinds).tolist():
                    self.media_by_kind[entry["values"]] += entry["counts"]


class _Sink:
    """Deduplicates parsed chunks exactly (in input order) and writes them.

    Writes go to ``writing``, a one-thread pool: Parquet encoding releases the GIL, so it runs
    beside the parsing instead of after it.
    """

    def __init__(self, writer: RecordWriter, tally: Tally, dedup: bool, writing: Executor):
        self.writer, self.tally, self.dedup, self.writing = writer, tally, dedup, writing
        self.seen = SeenKeys()
        self.pending: deque[Future] = deque()

    def add(self, file: str, result: ChunkResult) -> None:
        tally = self.tally
        for line, where, reason in result.bad:
            tally.add_bad(file, line, where, reason)
        tally.ignored_by_reason.update(result.ignored)
        table = result.table
        if self.dedup and result.keys:
            keep = self.seen.first_seen(result.keys)
            kept = sum(keep)
            tally.duplicates += len(keep) - kept
            if kept < len(keep):
                table = table.filter(pa.array(keep, pa.bool_()))
        if table.num_rows:
            tally.add_table(table)
            self.pending.append(self.writing.submit(self.writer.write_table, table))
            self._wait(WRITES_IN_FLIGHT)

    def close(self) -> None:
        """Wait for every write (and raise the first that failed)."""
        self._wait(0)

    def _wait(self, in_flight: int) -> None:
        while len(self.pending) > in_flight:
            self.pending.popleft().result()


def _index_side_inputs(
    files: list[sources.LogFile], forced: Parser | None, tally: Tally, head: int = sources.BUFFER
) -> tuple[dict[str, dict], list[sources.LogFile], list[sources.LogFile]]:
    """Read companion files (e.g. Batch API input files) first, so outputs can join them
    (each file's first object, read ``head`` bytes at a time, says whether it is one).

    Returns the side index, the companion files, and the files to parse as records (which
    include companions whose format is ``also_data``)."""
    found: list[tuple[sources.LogFile, SideInput]] = []
    data_files = []
    for log in files:
        spec = None
        if log.path != sources.STDIN and (forced is None or forced.side_input is not None):
            first = sources.peek_objects(log, limit=1, buffer=head)
            hit = formats.registry.detect_side_input(first[0]) if first else None
            spec = hit[1] if hit else None
        if spec is None or spec.also_data:
            data_files.append(log)
        if spec is not None:
            found.append((log, spec))
    wanted = _side_refs(found)
    side: dict[str, dict] = {}
    for log, spec in found:
        _index_file(log, spec, side.setdefault(spec.name, {}), wanted.get(spec.name), tally)
    for spec in {spec.name: spec for _, spec in found}.values():
        if spec.finish is not None:
            side[spec.name] = spec.finish(side[spec.name])
    return side, [log for log, _ in found], data_files


def _side_refs(found: list[tuple[sources.LogFile, SideInput]]) -> dict[str, set[str]]:
    """Per side input with ``refs``: the keys its files name, the only ones worth storing."""
    wanted: dict[str, set[str]] = {}
    for log, spec in found:
        if spec.refs is None:
            continue
        keys = wanted.setdefault(spec.name, set())
        for _, obj in sources.iter_objects(log):
            if isinstance(obj, dict) and spec.sniff(obj):
                try:
                    keys.update(spec.refs(obj))
                except (BadRecord, TypeError, AttributeError):
                    continue  # the record pass reports it
    return wanted


def _index_file(
    log: sources.LogFile, spec: SideInput, table: dict, wanted: set | None, tally: Tally
) -> None:
    """Store one companion file's ``(key, value)`` pairs (only ``wanted`` keys when given);
    its bad lines count here unless the file is parsed as records too (they count there)."""
    for number, obj in sources.iter_objects(log):
        if not (isinstance(obj, dict) and spec.sniff(obj)):
            if not spec.also_data:
                tally.add_bad(log.path, number, "line", f"not a {spec.name} line")
            continue
        try:
            pairs = spec.index(obj)
        except BadRecord as exc:
            if not spec.also_data:
                tally.add_bad(log.path, number, exc.field, exc.reason)
            continue
        for key, value in pairs:
            if wanted is None or key in wanted:
                table[key] = value


def _unknown_format(log: sources.LogFile) -> InputError:
    return InputError(
        f"{log.path}: unknown log format",
        f"known formats: {', '.join(formats.names())}; force one with --format NAME",
    )


def _detect(
    log: sources.LogFile, number: int, raw: Any, tally: Tally, undetected: list
) -> str | None:
    """Try to detect the format on one object; keeps undetected objects for later parsing."""
    obj = raw
    if isinstance(raw, bytes):
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            obj = sources.InvalidJSON()
    if isinstance(obj, sources.InvalidJSON):
        tally.add_bad(log.path, number, "line", obj.reason)
        return None
    undetected.append((number, obj))
    parser = formats.detect(obj)
    if parser is None and len(undetected) >= MAX_UNDETECTED:
        raise _unknown_format(log)
    return parser.name if parser else None


def _chunks(
    log: sources.LogFile, forced: Parser | None, tally: Tally, progress: Progress, size: int
) -> Iterator[tuple[str, str, Any]]:
    """``(format, file, items)`` jobs for one file; detects the format on its first objects."""
    if log.is_json_document:
        yield from _document_chunks(log, forced, tally, size)
    else:
        yield from _line_chunks(log, forced, tally, progress)


def _line_chunks(
    log: sources.LogFile, forced: Parser | None, tally: Tally, progress: Progress
) -> Iterator[tuple[str, str, Any]]:
    """Jobs of whole-line blocks, so workers split and decode the lines themselves."""
    name = forced.name if forced else None
    undetected: list[tuple[int, Any]] = []
    last_bytes = 0
    for first, block in sources.read_ahead(sources.iter_blocks(log), depth=1):
        if name is None:
            lines = block.split(b"\n")
            for offset, raw in enumerate(lines):
                if raw.strip() and (name := _detect(log, first + offset, raw, tally, undetected)):
                    yield name, log.path, undetected
                    rest = b"\n".join(lines[offset + 1 :])
                    block, first = rest, first + offset + 1
                    break
            else:
                continue
        yield name, log.path, (first, block)
        progress.advance(log.bytes_read - last_bytes)
        last_bytes = log.bytes_read
    if name is None and undetected:
        raise _unknown_format(log)
    log.detected = name


def _document_chunks(
    log: sources.LogFile, forced: Parser | None, tally: Tally, size: int
) -> Iterator[tuple[str, str, Any]]:
    """Jobs of decoded objects from a whole JSON document (array or object)."""
    name = forced.name if forced else None
    undetected: list[tuple[int, Any]] = []
    items: list[tuple[int, Any]] = []
    for number, obj in sources.iter_objects(log):
        if name is None:
            name = _detect(log, number, obj, tally, undetected)
            if name is not None:
                items.extend(undetected)
            continue
        if isinstance(obj, sources.InvalidJSON):
            tally.add_bad(log.path, number, "line", obj.reason)
            continue
        items.append((number, obj))
        if len(items) >= size:
            yield name, log.path, items
            items = []
    if name is None and undetected:
        raise _unknown_format(log)
    if items:
        yield name, log.path, items
    log.detected = name


def _chunk_parser(config: CollectConfig, side: dict, workers: int, log, forced: Parser | None):
    """This machine's worker processes, or Ray tasks that read the files with ``--engine ray``."""
    if config.engine == "local":
        return ChunkParser(side, workers)
    from slmconvert.scale import ray_collect, ray_engine

    address = ray_engine.connect(config.ray_address)
    if log:
        log(f"Ray at {address}; its workers read and parse the log files")
    return ray_collect.RayFileParser(side, forced and forced.name, chunk_lines=CHUNK_LINES)


def _results(chunker, data_files, forced, tally: Tally, progress: Progress) -> Iterator:
    """``(file, ChunkResult)`` for every data file, in input order."""

    def chunks(source: sources.LogFile) -> Iterator[tuple[str, str, Any]]:
        return _chunks(source, forced, tally, progress, CHUNK_LINES)

    if not isinstance(chunker, ChunkParser):  # on Ray: the workers read the files
        yield from chunker.results(data_files, progress, chunks)
        return
    for source in data_files:
        for result in chunker.map(chunks(source)):
            yield source, result


def run(
    inputs: list[str],
    output: str | Path,
    config: CollectConfig | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
    log=None,
) -> StageResult:
    """Collect log files (paths, directories, globs or ``-``) into canonical records at ``output``
    (``log(line)`` gets notes, such as the Ray address in use)."""
    config = config or CollectConfig()
    progress = progress or NoProgress()
    forced = formats.get(config.format) if config.format else None
    files = sources.expand(inputs)
    tally = Tally()
    with StageOutput(output, "collect", config.model_dump(), force=force, seed=config.seed) as out:
        # on Ray the workers read the data files: this process peeks at their heads only
        head = sources.HEAD_BUFFER if config.engine == "ray" else sources.BUFFER
        side, side_files, data_files = _index_side_inputs(files, forced, tally, head)
        _parse_into(out, data_files, side, forced, tally, config, progress, log)
        _check_quality(tally, config)
        _describe(out, tally, files, data_files, side_files)
    return StageResult(out.out, out.manifest)


def _parse_into(out, data_files, side, forced, tally: Tally, config, progress, log) -> None:
    """Parse every data file in chunks (here, in worker processes or on Ray) and write the
    de-duplicated records, in input order."""
    total = sum(f.size or 0 for f in data_files) or None
    progress.start("collect", total=total)
    workers = _workers(config.workers, total)
    with (
        _arrow_memory(),
        _chunk_parser(config, side, workers, log, forced) as chunker,
        ThreadPoolExecutor(1, thread_name_prefix="collect-writer") as writing,
    ):
        sink = _Sink(out.records(config.shard_rows), tally, config.dedup, writing)
        for source, result in _results(chunker, data_files, forced, tally, progress):
            sink.add(source.path, result)
        sink.close()
    out.warnings.extend(f"{f.path}: empty, no records" for f in data_files if f.detected is None)
    progress.finish()


def _describe(out, tally: Tally, files, data_files, side_files) -> None:
    """The manifest's inputs, counts, metrics and warnings."""
    out.inputs = [
        {"path": f.path, "sha256": f.sha256, "bytes": f.bytes_read, "format": f.detected}
        for f in data_files
    ] + [
        {"path": f.path, "sha256": f.sha256, "bytes": f.bytes_read, "role": "side input"}
        for f in side_files
        if f not in data_files
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


@contextmanager
def _arrow_memory() -> Iterator[None]:
    """Arrow allocations on jemalloc, which keeps freed pages for a second before handing them
    back to the OS, while collecting.

    Every chunk allocates and frees the same few megabytes of Arrow buffers. Arrow's default
    (mimalloc) either keeps freed pages per thread, so memory creeps up chunk after chunk, or,
    released after each chunk, faults them in again (bench/results/tuning.md).
    """
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(1000)
    except NotImplementedError:  # a pyarrow built without jemalloc (e.g. some macOS wheels)
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _workers(setting: int, total_bytes: int | None) -> int:
    """Worker processes to start beside this one, which parses too: ``workers`` is the number
    of parsing processes in all, so ``--workers 1`` starts none."""
    if setting > 0:
        return setting - 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if total_bytes is None or total_bytes < PARALLEL_BYTES or (cores or 1) < 2:
        return 0
    # more workers gain little and cost memory (bench/results/tuning.md)
    return min(cores, 4) - 1


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
        "with_media": tally.with_media,
        "media_by_kind": dict(sorted(tally.media_by_kind.items())),
        "provider_tool_calls": tally.provider_tool_calls,
        "input_tokens": tally.input_tokens,
        "output_tokens": tally.output_tokens,
    }
