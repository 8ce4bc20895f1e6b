"""collect on Ray with the log files read by the workers (``--engine ray``).

The driver (the process running ``slmconvert collect``) reads the head of each data file only:
its first 4 bytes (compression) and its first objects, through a 64 KiB buffer, until a format
is recognised (the rule of the local engine; when 20 unrecognised objects do not fit there, a
task reads on). Everything else is read on the workers, from the same path, which on a cluster
must name the file on storage every node sees:

- a plain JSON Lines file larger than ``RANGE_BYTES`` is split by size into byte ranges, one
  task each; a task parses the lines that start in its range (``sources.read_range``) and
  returns the result with the number of lines it covered, and the driver, taking results in
  order, adds the lines before the range to every line number (records' ``source.line``, bad
  lines), so numbers are absolute, as the local engine gives them. One more task per such file
  hashes it for the manifest (``sha256``, ``bytes``).
- any other file (compressed, a ``.json`` document, a small JSON Lines file) is one task that
  reads, hashes and parses it whole, streaming its results (Ray's streaming generator, at most
  ``RESULTS_AHEAD`` waiting), so a large export is not one giant result; it is parsed on one
  CPU.

The driver still de-duplicates, counts and writes the records in input order, with at most
``window`` parsing tasks in flight; a whole-file task paused on its waiting results keeps its
CPU, so at most CPUs - 1 of them run behind the entry whose results the driver is taking. stdin cannot be read by workers: its blocks are read here
and parsed on Ray as before (``RayChunkParser``). Worker errors come back as values naming the
file, line and field, never a record's value.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from slmconvert import formats
from slmconvert.core.errors import InputError
from slmconvert.formats import parsing, sources
from slmconvert.formats.parsing import ChunkResult
from slmconvert.scale.ray_engine import READ_CPUS, RayChunkParser

RANGE_BYTES = 3 << 19  # the block size of sources.iter_blocks
RESULTS_AHEAD = 2
UNSURE = "?"
"""``head_format``'s answer when the bytes it may read ran out before the format was known."""


@dataclass
class Failed:
    """An InputError met on a worker, returned as a value (its message names the file as the
    user gave it, not the worker's absolute path)."""

    message: str
    hint: str | None = None


@dataclass
class Digest:
    """A file's ``sha256`` and size as read (compressed bytes for a compressed file)."""

    sha256: str
    bytes: int


def head_format(
    log: sources.LogFile, max_bytes: int | None = None, buffer: int = sources.BUFFER
) -> str | None:
    """The format of ``log`` by the local engine's rule: the first object a parser recognises,
    an InputError after ``MAX_UNDETECTED`` unrecognised ones or at the end after any; None when
    the file holds no valid JSON object; ``UNSURE`` once more than ``max_bytes`` were read."""
    from slmconvert.stages.collect import MAX_UNDETECTED, _unknown_format

    probe = sources.LogFile(log.path)  # log's own counts and hash are the full read's
    undetected = 0
    with closing(sources.iter_objects(probe, buffer=buffer)) as objects:
        for _, obj in objects:
            if not isinstance(obj, sources.InvalidJSON):
                undetected += 1
                parser = formats.detect(obj)
                if parser is not None:
                    return parser.name
                if undetected >= MAX_UNDETECTED:
                    raise _unknown_format(log)
            if max_bytes is not None and probe.bytes_read > max_bytes:
                return UNSURE
    if undetected:
        raise _unknown_format(log)
    return None


# --- on the workers -----------------------------------------------------------------------


def _failed(exc: InputError, path: str, file: str) -> Failed:
    return Failed(exc.message.replace(path, file, 1), exc.hint)


def _unreadable(file: str, exc: OSError) -> Failed:
    return Failed(f"{file}: cannot read ({exc.strerror or 'error'})")


def detect_task(path: str, file: str) -> str | None | Failed:
    """Worker: ``head_format`` of the file at ``path``, reading as far as it takes."""
    try:
        return head_format(sources.LogFile(path))
    except InputError as exc:
        return _failed(exc, path, file)


def digest_task(path: str, file: str) -> Digest | Failed:
    """Worker: the manifest's ``sha256`` and ``bytes`` of a file."""
    try:
        return Digest(*sources.digest(path))
    except OSError as exc:
        return _unreadable(file, exc)


def _parser(name: str | None) -> str:
    # a file without one valid JSON object (name None) has no line a parser would see
    return name or formats.names()[0]


def range_task(
    side: dict, name: str | None | Failed, path: str, file: str, start: int, end: int
) -> tuple[ChunkResult | Failed, int]:
    """Worker: the lines of a plain JSON Lines file that start in ``[start, end)`` parsed with
    format ``name`` (line numbers from 1 at the range's first line), and its newlines."""
    if isinstance(name, Failed):  # the detect task's
        return name, 0
    try:
        block = sources.read_range(path, start, end)
    except OSError as exc:
        return _unreadable(file, exc), 0
    parsing._init(side)
    return parsing.parse_chunk(_parser(name), file, (1, block)), block.count(b"\n")


def whole_task(
    side: dict, name: str | None | Failed, path: str, file: str, chunk: int
) -> Iterator[Any]:
    """Worker (a streaming generator): a whole file's ``ChunkResult``s in order (blocks of
    JSON Lines, or ``chunk`` objects of a JSON document), then its ``Digest``, or a
    ``Failed``."""
    if isinstance(name, Failed):
        yield name
        return
    parsing._init(side)
    log, name = sources.LogFile(path), _parser(name)
    try:
        if log.is_json_document:
            yield from _document_results(name, file, log, chunk)
        else:
            for first, block in sources.iter_blocks(log):
                yield parsing.parse_chunk(name, file, (first, block))
    except InputError as exc:
        yield _failed(exc, path, file)
        return
    yield Digest(log.sha256, log.bytes_read)


def _document_results(
    name: str, file: str, log: sources.LogFile, chunk: int
) -> Iterator[ChunkResult]:
    """As collect's ``_document_chunks``: objects of a JSON document in chunks, an invalid one
    reported before the records of the chunk it was read with."""
    items: list[tuple[int, Any]] = []
    bad: list[tuple[int, str, str]] = []
    for number, obj in sources.iter_objects(log):
        if isinstance(obj, sources.InvalidJSON):
            bad.append((number, "line", obj.reason))
            continue
        items.append((number, obj))
        if len(items) >= chunk:
            yield _after(bad, parsing.parse_chunk(name, file, items))
            items, bad = [], []
    if items or bad:
        yield _after(bad, parsing.parse_chunk(name, file, items))


def _after(bad: list[tuple[int, str, str]], result: ChunkResult) -> ChunkResult:
    result.bad = bad + result.bad
    return result


# --- on the driver ------------------------------------------------------------------------


def _checked(value: Any) -> Any:
    if isinstance(value, Failed):
        raise InputError(value.message, value.hint)
    return value


def shift_lines(result: ChunkResult, by: int) -> ChunkResult:
    """``result`` with ``by`` added to its line numbers (records' ``source.line``, bad lines)."""
    if not by:
        return result
    result.bad = [(line + by, where, reason) for line, where, reason in result.bad]
    table = result.table
    if table.num_rows:
        at = table.schema.get_field_index("source")
        source = table.column(at).combine_chunks()
        children = [
            pc.add(child, pa.scalar(by, child.type)) if kind.name == "line" else child
            for kind, child in zip(source.type, source.flatten(), strict=True)
        ]
        shifted = pa.StructArray.from_arrays(children, fields=list(source.type))
        result.table = table.set_column(at, table.schema.field(at), shifted)
    return result


@dataclass
class _File:
    """A data file while its tasks run."""

    log: sources.LogFile
    path: str  # absolute, for the workers
    size: int
    name: Any  # its format (a name or None), or the ObjectRef of the task detecting it
    lines: int = 0  # lines of the ranges taken so far
    digest: Any = None  # the digest task of a file split into ranges

    def resolve(self) -> None:
        """Its format, once known, as the log's ``detected`` (waits for a detect task)."""
        import ray

        if isinstance(self.name, ray.ObjectRef):
            self.name = _checked(ray.get(self.name))
        self.log.detected = self.name

    def finish(self, digest: Digest) -> None:
        """Record the file's hash and size for the manifest."""
        self.log.sha256 = digest.sha256
        self.log.bytes_read = digest.bytes


@dataclass
class _Range:
    """A byte range's task; the driver shifts its line numbers by the lines before it."""

    file: _File
    start: int
    end: int
    parses = 1

    def launch(self, parser: RayFileParser) -> None:
        """Start the range's task (and, with the file's first range, its digest task)."""
        file = self.file
        if file.digest is None:  # the file's first range: hash it beside the ranges
            file.digest = parser._digest.remote(file.path, file.log.path)
        args = (parser._side, file.name, file.path, file.log.path, self.start, self.end)
        self.ref = parser._range.remote(*args)

    def take(self, progress) -> tuple[list[ChunkResult], bool]:
        """Wait for the range's result; ``([result], done)``, its line numbers absolute."""
        import ray

        self.file.resolve()
        result, lines = ray.get(self.ref)
        result = shift_lines(_checked(result), self.file.lines)
        self.file.lines += lines
        progress.advance(self.end - self.start)
        return [result], True


@dataclass
class _Whole:
    """A whole file's streaming task, taken one result at a time."""

    file: _File
    parses = 1

    def launch(self, parser: RayFileParser) -> None:
        """Start the file's task."""
        file = self.file
        args = (parser._side, file.name, file.path, file.log.path, parser.chunk_lines)
        self.refs = parser._whole.remote(*args)

    def take(self, progress) -> tuple[list[ChunkResult], bool]:
        """Wait for the task's next result: ``([result], False)``, or ``([], True)`` at the end."""
        import ray

        self.file.resolve()
        item = _checked(ray.get(next(self.refs)))
        if isinstance(item, Digest):
            self.file.finish(item)
            progress.advance(self.file.size)
            return [], True
        return [item], False


@dataclass
class _End:
    """The end of a file split into ranges: its digest."""

    file: _File
    parses = 0

    def launch(self, parser: RayFileParser) -> None:
        """Nothing to start: the digest task started with the first range."""

    def take(self, progress) -> tuple[list[ChunkResult], bool]:
        """Wait for the digest: ``([], True)``."""
        import ray

        self.file.finish(_checked(ray.get(self.file.digest)))
        return [], True


class RayFileParser:
    """collect's data files read and parsed by Ray tasks (see the module docstring); results
    in input order, at most ``window`` parsing tasks in flight."""

    def __init__(
        self,
        side: dict,
        forced: str | None = None,
        window: int = 0,
        range_bytes: int | None = None,
        chunk_lines: int = 2_000,
    ):
        self.side, self.forced, self.chunk_lines = side, forced, chunk_lines
        self.window = window or 2 * (os.cpu_count() or 1)
        self.range_bytes = range_bytes or RANGE_BYTES

    def __enter__(self) -> RayFileParser:
        import ray

        self._side = ray.put(self.side)
        once = {"max_retries": 0}
        self._range = ray.remote(num_cpus=1, **once)(range_task)
        self._whole = ray.remote(
            num_cpus=1, _generator_backpressure_num_objects=RESULTS_AHEAD, **once
        )(whole_task)
        self._digest = ray.remote(num_cpus=READ_CPUS, **once)(digest_task)
        self._detect = ray.remote(num_cpus=READ_CPUS, **once)(detect_task)
        # A whole-file task waiting for the driver to take its results keeps its CPU. The
        # driver takes results in order, so whole-file tasks behind the first one in line must
        # leave a CPU to the tasks in front of them, or everything waits.
        self._streams = max(int(ray.cluster_resources().get("CPU", 1)) - 1, 0)
        return self

    def __exit__(self, *exc) -> None:
        self._side = None

    def results(
        self, files: list[sources.LogFile], progress, chunks: Callable[[sources.LogFile], Any]
    ) -> Iterator[tuple[sources.LogFile, ChunkResult]]:
        """``(file, result)`` for every data file, in input order; each file's ``detected``,
        ``sha256`` and ``bytes_read`` set once its results are out. stdin's blocks are read
        here (``chunks(log)`` gives its jobs) and parsed by ``RayChunkParser``."""
        run: list[sources.LogFile] = []
        for log in files:
            if log.path != sources.STDIN:
                run.append(log)
                continue
            yield from self._read_on_workers(run, progress)
            run = []
            with RayChunkParser(self.side, self.window) as blocks:
                for result in blocks.map(chunks(log)):
                    yield log, result
        yield from self._read_on_workers(run, progress)

    def _read_on_workers(self, files: list[sources.LogFile], progress) -> Iterator:
        entries = self._entries(files)
        pending: deque = deque()  # launched, in input order
        parsing_now, held = 0, None
        while True:
            while parsing_now < self.window:
                entry, held = held or next(entries, None), None
                if entry is None:
                    break
                if isinstance(entry, _Whole) and pending and self._behind(pending) >= self._streams:
                    held = entry
                    break
                entry.launch(self)
                pending.append(entry)
                parsing_now += entry.parses
            if not pending:
                return
            head = pending[0]
            results, done = head.take(progress)
            for result in results:
                yield head.file.log, result
            if done:
                parsing_now -= pending.popleft().parses

    @staticmethod
    def _behind(pending: deque) -> int:
        """Whole-file tasks launched behind the first entry in line."""
        return sum(isinstance(entry, _Whole) for entry in itertools.islice(pending, 1, None))

    def _entries(self, files: list[sources.LogFile]) -> Iterator[_Range | _Whole | _End]:
        """Each file's tasks, to launch as the window asks for them."""
        for log in files:
            path = os.path.abspath(log.path)
            file = _File(log, path, 0, self._format(log, path))
            file.size = os.stat(path).st_size
            plain = not (log.is_json_document or sources.is_compressed(log))
            if not (plain and file.size > self.range_bytes):
                yield _Whole(file)
                continue
            for start in range(0, file.size, self.range_bytes):
                yield _Range(file, start, min(start + self.range_bytes, file.size))
            yield _End(file)

    def _format(self, log: sources.LogFile, path: str) -> Any:
        """The forced format, else the one detected on the head of ``log`` here (reading
        ``HEAD_BUFFER`` bytes at most), else a task that reads on (its ObjectRef)."""
        if self.forced:
            return self.forced
        head = sources.HEAD_BUFFER
        name = head_format(log, max_bytes=head, buffer=head)
        return self._detect.remote(path, log.path) if name == UNSURE else name
