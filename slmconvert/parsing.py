"""Parse chunks of raw log lines into Arrow record batches, in-process or across processes.

A chunk is a list of ``(line, raw)`` where raw is JSON bytes or an already decoded object, or a
``(first_line, block)`` of JSON Lines bytes that the worker splits itself. The
result carries an Arrow table of the records (cheap to send between processes), one small
stats tuple per record (for exact deduplication and the tally in the parent), and the bad and
ignored items. Results come back in input order, so output is the same with or without workers.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from slmconvert.errors import BadRecord
from slmconvert.formats.registry import Ignored, ParseContext
from slmconvert.records import SCHEMA

# Set in workers by _init (inherited with fork): side inputs can be large, send them once.
_SIDE: dict[str, Any] = {}


@dataclass
class ChunkResult:
    """Parsed chunk: records as an Arrow table, per-record stats, bad and ignored items."""

    table: pa.Table  # pickles as Arrow buffers, cheap to send between processes
    stats: list[tuple]  # (id, format, input_tokens, output_tokens, cost_usd, arguments_valid)
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, reason)
    ignored: Counter = field(default_factory=Counter)


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
    stats = [
        (
            r["id"],
            r["source"]["format"],
            r["usage"]["input_tokens"],
            r["usage"]["output_tokens"],
            r["cost_usd"],
            r["arguments_valid"],
        )
        for r in records
    ]
    return ChunkResult(pa.Table.from_pylist(records, schema=SCHEMA), stats, bad, ignored)


def _init(side: dict[str, Any], parent: int | None = None) -> None:
    _SIDE.clear()
    _SIDE.update(side)
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # a reader killed with SIGKILL cannot stop its workers; they notice and leave by themselves
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class ChunkParser:
    """Parses chunks serially or with ``workers`` processes, yielding results in order."""

    def __init__(self, side: dict[str, Any], workers: int = 1, window: int = 4):
        self.side = side
        self.workers = workers
        self.window = max(window, workers * 2)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ChunkParser:
        _init(self.side)
        if self.workers > 1:
            method = "fork" if sys.platform.startswith("linux") else "spawn"
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context(method),
                initializer=_init,
                initargs=(self.side, os.getpid()),
            )
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(self, jobs: Iterable[tuple[str, str, list[tuple[int, Any]]]]) -> Iterator[ChunkResult]:
        """Results for ``(format, file, items)`` jobs in order, at most ``window`` in flight."""
        if self._pool is None:
            for job in jobs:
                yield parse_chunk(*job)
            return
        pending: list[Future] = []
        for job in jobs:
            pending.append(self._pool.submit(parse_chunk, *job))
            if len(pending) >= self.window:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
