"""Parse chunks of raw log lines into Arrow record batches, in-process or across processes.

A chunk is a list of ``(line, raw)`` where raw is JSON bytes or an already decoded object, or a
``(first_line, block)`` of JSON Lines bytes that the worker splits itself. The
result carries an Arrow table of the records (cheap to send between processes), one
deduplication key per record (the parent deduplicates and tallies), and the bad and
ignored items. Results come back in input order, so output is the same with or without workers.

Between processes, blocks and tables travel as files in a spool directory in shared memory
(``/dev/shm``) where there is one, not through the pool's pipe: the reading process, which is
the busiest, then copies each chunk once instead of pickling it through a 64 KiB pipe.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from slmconvert.core.errors import BadRecord
from slmconvert.core.forking import start_method
from slmconvert.core.records import SCHEMA
from slmconvert.formats.registry import Ignored, ParseContext

# Set in workers by _init (inherited with fork): side inputs can be large, send them once.
_SIDE: dict[str, Any] = {}
# The spool directory (see the module docstring) while a ChunkParser with workers is open.
_SPOOL: str | None = None
_SPOOL_NAMES = itertools.count()
SHARED_MEMORY = "/dev/shm"


@dataclass
class ChunkResult:
    """Parsed chunk: records as an Arrow table, a dedup key per record, bad and ignored items."""

    table: pa.Table
    keys: list[int]  # the first 64 bits of each record's id
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, reason)
    ignored: Counter = field(default_factory=Counter)

    def __getstate__(self) -> dict:
        # one Arrow IPC stream, as a spool file or pickled inline, moves several times faster
        # than the table's many small buffers
        return {**self.__dict__, "table": _spool_table(self.table) or _ipc_bytes(self.table)}

    def __setstate__(self, state: dict) -> None:
        table = state["table"]
        if isinstance(table, str):  # a spool file: map it (no copy), then let it go
            source = pa.memory_map(table)
            os.unlink(table)
            table = source
        state["table"] = pa.ipc.open_stream(table).read_all()
        self.__dict__.update(state)


class SpooledBytes:
    """Bytes that pickle as a spool file when there is a spool, else inline. Pickle it once:
    once spooled it lets go of its bytes (the pool holds a job's arguments until its result
    is back, which with 4 chunks queued kept ~6 MB of blocks alive for nothing)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __reduce__(self) -> tuple:
        data = self.data
        path = _spool_write(lambda f: f.write(data))
        if path is None:
            return (bytes, (data,))
        self.data = b""
        return (_take_bytes, (path,))


def _take_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


def _write_ipc(sink: Any, table: pa.Table) -> None:
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


def _spool_table(table: pa.Table) -> str | None:
    return _spool_write(lambda f: _write_ipc(f, table))


def _ipc_bytes(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    _write_ipc(sink, table)
    return sink.getvalue()


def _spool_write(write: Callable[[Any], Any]) -> str | None:
    """Write a new spool file with ``write(file)``; its path, or None (no spool, or it is full:
    the caller then sends the data inline)."""
    if _SPOOL is None:
        return None
    path = os.path.join(_SPOOL, f"{os.getpid()}-{next(_SPOOL_NAMES)}")
    try:
        with pa.OSFile(path, "wb") as f:
            write(f)
    except OSError:  # e.g. a container's small /dev/shm
        if os.path.exists(path):
            os.unlink(path)
        return None
    return path


def _new_spool() -> str | None:
    sweep_spools()
    try:  # no /dev/shm (macOS, Windows) or not writable: no spool
        return tempfile.mkdtemp(prefix=f"slmconvert-{os.getpid()}-", dir=SHARED_MEMORY)
    except OSError:
        return None


def sweep_spools(directory: str = SHARED_MEMORY) -> list[str]:
    """Remove spools whose collect process is gone (a ``kill -9`` of the whole group leaves
    raw log blocks in memory otherwise); a spool without an owner pid counts as gone."""
    from slmconvert.core.stagedir import _pid_alive

    removed = []
    for path in Path(directory).glob("slmconvert-*"):
        owner = path.name.split("-")[1]
        if owner.isdigit() and (int(owner) == os.getpid() or _pid_alive(int(owner))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(str(path))
    return removed


def _items(items: list[tuple[int, Any]] | tuple[int, bytes]) -> Iterable[tuple[int, Any]]:
    if isinstance(items, tuple):  # (first_line, block of JSON Lines)
        first, block = items
        for offset, raw in enumerate(block.split(b"\n")):
            if raw.strip():
                yield first + offset, raw
    else:
        yield from items


def parse_chunk(
    parser_name: str, file: str, items: list[tuple[int, Any]] | tuple[int, bytes]
) -> ChunkResult:
    """Parse ``items`` of one file with the named parser: ``(line, raw)`` pairs, or a
    ``(first_line, block)`` of JSON Lines bytes."""
    # A chunk allocates ~100k short-lived, acyclic containers that refcounting frees; the cyclic
    # collector would rescan them (and everything imported) many times per chunk for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_chunk(parser_name, file, items)
    finally:
        if enabled:
            gc.enable()


def _parse_chunk(
    parser_name: str, file: str, items: list[tuple[int, Any]] | tuple[int, bytes]
) -> ChunkResult:
    from slmconvert import formats

    parser = formats.get(parser_name)
    records: list[dict] = []
    bad: list[tuple[int, str, str]] = []
    ignored: Counter = Counter()
    for line, raw in _items(items):
        if isinstance(raw, bytes | bytearray | memoryview):
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError:
                bad.append((line, "line", "invalid JSON"))
                continue
        ctx = ParseContext(parser_name, file, line, _SIDE)
        try:
            out = list(parser.parse(raw, ctx))
        except BadRecord as exc:
            bad.append((line, exc.field, exc.reason))
            continue
        except Exception as exc:  # a parser bug must cost one record, not the run
            bad.append((line, "(record)", f"parser error ({type(exc).__name__})"))
            continue
        for item in out:
            if isinstance(item, dict):
                records.append(item)
            elif isinstance(item, Ignored):
                ignored[item.reason] += 1
            elif isinstance(item, BadRecord):
                bad.append((line, item.field, item.reason))
    keys = [int(r["id"][:16], 16) for r in records]
    return ChunkResult(pa.Table.from_pylist(records, schema=SCHEMA), keys, bad, ignored)


def skip_pandas_import() -> None:
    """Spare this process pyarrow's pandas import (~0.2 s and ~45 MB in each parsing process).

    pyarrow imports pandas the first time it converts Python objects, only to ask whether they
    are pandas objects; records never are. If pandas is not loaded yet, pyarrow's one check here
    finds it missing. Call it only in a process that runs nothing but `collect` (the CLI
    command does): until something calls ``to_pandas()``, pyarrow then treats pandas objects as
    plain sequences.
    """
    if "pandas" in sys.modules:
        return
    sys.meta_path.insert(0, _NoPandas)
    try:
        pa.array([None])
    finally:
        sys.meta_path.remove(_NoPandas)


class _NoPandas:
    """An import finder under which `import pandas` fails."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(name)


def _init(side: dict[str, Any], parent: int | None = None, spool: str | None = None) -> None:
    global _SPOOL
    _SIDE.clear()
    _SIDE.update(side)
    _SPOOL = spool
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # a reader killed with SIGKILL cannot stop its workers (or remove the spool); they notice
    # and leave by themselves
    while os.getppid() == parent:
        time.sleep(1.0)
    if _SPOOL is not None:
        shutil.rmtree(_SPOOL, ignore_errors=True)
    os._exit(1)


class ChunkParser:
    """Parses chunks in this process, helped by ``workers`` processes; yields results in order.

    With workers, each keeps up to ``depth`` chunks queued. When every queue is full the calling
    process parses the next chunk itself, but only up to ``own_share`` of all chunks, since it
    also reads, deduplicates and writes; past that it waits for a worker instead.
    """

    def __init__(self, side: dict[str, Any], workers: int = 0, depth: int = 4):
        self.side = side
        self.workers = workers
        # a worker's queue must outlast the stalls of this process (parsing its own chunk, a
        # write, the GIL handing chunks to the pool's threads); bench/results/tuning.md
        self.window = max(1, workers * depth)
        # this process also reads and writes, so it parses less than a worker (tuning.md)
        self.own_share = 0.8 / (workers + 1)
        self.spool: str | None = None  # the spool directory while open with workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ChunkParser:
        if self.workers > 0:
            # pyarrow's first conversion imports pandas unless skip_pandas_import() ran: do it
            # once here rather than in every forked worker, which then shares its pages
            pa.Table.from_pylist([], schema=SCHEMA)
            self.spool = _new_spool()
        _init(self.side, spool=self.spool)
        if self.workers > 0:
            method = start_method() if sys.platform.startswith("linux") else "spawn"
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context(method),
                initializer=_init,
                initargs=(self.side, os.getpid(), self.spool),
            )
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self.spool is not None:
            shutil.rmtree(self.spool, ignore_errors=True)
            self.spool = None
            _init(self.side)

    def map(self, jobs: Iterable[tuple[str, str, Any]]) -> Iterator[ChunkResult]:
        """Results for ``(format, file, items)`` jobs, in job order."""
        if self._pool is None:
            for job in jobs:
                yield parse_chunk(*job)
            return
        pending: deque[Future | ChunkResult] = deque()  # in job order
        in_flight = own = 0
        for n, job in enumerate(jobs, start=1):
            while pending and _ready(pending[0]):
                in_flight -= isinstance(pending[0], Future)
                yield _result(pending.popleft())
            while in_flight >= self.window and own >= self.own_share * n:
                in_flight -= isinstance(pending[0], Future)  # wait for the oldest result
                yield _result(pending.popleft())
            if in_flight < self.window:
                pending.append(self._pool.submit(parse_chunk, *_spooled(job)))
                in_flight += 1
            else:
                own += 1
                pending.append(parse_chunk(*job))
            while len(pending) > 2 * self.window:  # bound memory when the workers fall behind
                in_flight -= isinstance(pending[0], Future)
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())


def _spooled(job: tuple[str, str, Any]) -> tuple[str, str, Any]:
    name, file, items = job
    if isinstance(items, tuple):  # (first_line, block)
        return name, file, (items[0], SpooledBytes(items[1]))
    return job


def _ready(entry: Future | ChunkResult) -> bool:
    return not isinstance(entry, Future) or entry.done()


def _result(entry: Future | ChunkResult) -> ChunkResult:
    return entry.result() if isinstance(entry, Future) else entry
