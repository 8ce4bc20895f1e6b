"""Raw log inputs: expand paths, decompress (.gz/.zst by magic bytes), frame JSON/JSONL.

Streaming: JSONL is read line by line through a 1 MiB buffer, and a `.json` document is parsed
as it is read (ijson): each element of a top-level array, each resource span of an OTLP export.
Memory stays flat however large the log; only one object that is neither of those is held whole.
The raw bytes are hashed as they are read, so a file is read once for both its records and its
manifest hash.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import os
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from slmconvert.core.errors import InputError

LOG_SUFFIXES = (".jsonl", ".ndjson", ".json")
COMPRESSED_SUFFIXES = (".gz", ".zst", ".zstd")
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BUFFER = 1 << 20
HEAD_BUFFER = 1 << 16
"""The buffer a peek at a file's head reads through when the rest is read elsewhere (Ray)."""
STDIN = "-"


@dataclass(frozen=True)
class InvalidJSON:
    """A line that is not valid JSON (counted as bad input; the text itself is never kept)."""

    reason: str = "invalid JSON"


@dataclass
class LogFile:
    """One input: a path (or ``-`` for stdin), its size, and its sha256 once fully read."""

    path: str
    size: int | None = None
    sha256: str | None = None
    bytes_read: int = 0
    detected: str | None = None
    _hasher: Any = field(default=None, repr=False)

    @property
    def is_json_document(self) -> bool:
        """Whether the file is a whole JSON document (.json) rather than JSON Lines."""
        name = self.path
        for suffix in COMPRESSED_SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        return name.endswith(".json")


def _is_log_name(name: str) -> bool:
    for suffix in COMPRESSED_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name.endswith(LOG_SUFFIXES)


def expand(inputs: list[str]) -> list[LogFile]:
    """Resolve files, directories (recursive, log files only), globs and ``-`` into LogFiles."""
    if not inputs:
        raise InputError("no input given", "pass one or more files, directories or globs, or -")
    out: list[LogFile] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        if path not in seen:
            seen.add(path)
            out.append(LogFile(path, None if path == STDIN else os.path.getsize(path)))

    for item in inputs:
        if item == STDIN:
            add(STDIN)
        elif os.path.isdir(item):
            found = sorted(
                str(p) for p in Path(item).rglob("*") if p.is_file() and _is_log_name(p.name)
            )
            if not found:
                raise InputError(f"{item}: directory holds no log files", _suffix_hint())
            for path in found:
                add(path)
        elif os.path.isfile(item):
            add(item)
        elif glob.has_magic(item):
            matches = sorted(p for p in glob.glob(item, recursive=True) if os.path.isfile(p))
            if not matches:
                raise InputError(f"{item}: pattern matches no file")
            for path in matches:
                add(path)
        else:
            raise InputError(f"{item}: no such file or directory")
    return out


def _suffix_hint() -> str:
    return f"log files end in {', '.join(LOG_SUFFIXES)}, optionally compressed ({', '.join(COMPRESSED_SUFFIXES)})"


class _HashingReader(io.RawIOBase):
    """A raw binary stream that hashes and counts the bytes passing through it."""

    def __init__(self, raw: BinaryIO, log: LogFile):
        self._raw = raw
        self._log = log
        log._hasher = hashlib.sha256()
        log.bytes_read = 0  # each read counts the file afresh (a side input is read twice)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self._log._hasher.update(memoryview(buffer)[:n])
            self._log.bytes_read += n
        return n or 0


def _open_raw(log: LogFile) -> BinaryIO:
    if log.path == STDIN:
        return sys.stdin.buffer
    try:
        return open(log.path, "rb", buffering=0)  # noqa: SIM115 (closed by open_text_stream's caller)
    except OSError as exc:
        raise InputError(f"{log.path}: cannot read ({exc.strerror or 'error'})") from None


def open_stream(log: LogFile, buffer: int = BUFFER) -> BinaryIO:
    """A decompressed, buffered binary stream over ``log`` (compression sniffed by magic bytes),
    reading ``buffer`` bytes at a time."""
    hashed = io.BufferedReader(_HashingReader(_open_raw(log), log), buffer_size=buffer)
    magic = hashed.peek(4)[:4]
    if magic.startswith(GZIP_MAGIC):
        return io.BufferedReader(gzip.GzipFile(fileobj=hashed, mode="rb"), buffer_size=buffer)
    if magic == ZSTD_MAGIC:
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(hashed, read_across_frames=True)
        return io.BufferedReader(reader, buffer_size=buffer)
    return hashed


def is_compressed(log: LogFile) -> bool:
    """Whether ``log`` is gzip or zstd (by its magic bytes: reads 4 bytes)."""
    with _open_raw(log) as raw:
        magic = raw.read(4)
    return magic.startswith(GZIP_MAGIC) or magic == ZSTD_MAGIC


def _decompression_errors() -> tuple[type[BaseException], ...]:
    import zstandard

    return (EOFError, gzip.BadGzipFile, zstandard.ZstdError)


@contextmanager
def _reading(log: LogFile, buffer: int = BUFFER) -> Iterator[BinaryIO]:
    """The decompressed stream of ``log``; a broken compressed stream becomes an InputError
    naming the file, and a fully read file gets its sha256."""
    stream = open_stream(log, buffer)
    try:
        yield stream
    except _decompression_errors():
        raise InputError(
            f"{log.path}: truncated or corrupt compressed stream", "re-copy or re-export the file"
        ) from None
    finally:
        if log.path != STDIN:
            stream.close()
    log.sha256 = log._hasher.hexdigest()


def iter_objects(
    log: LogFile, decode: bool = True, buffer: int = BUFFER
) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, object)`` for each JSON value in ``log``; bad lines yield ``InvalidJSON``.

    For JSON Lines, ``line`` is the 1-based line number; for a JSON array document it is the
    element's 1-based index; a single JSON object document is line 1. With ``decode=False``,
    JSON Lines come as raw bytes (decoded later, e.g. in a worker process). A truncated or
    corrupt compressed stream raises InputError naming the file. ``buffer``: bytes read at a
    time (a small one for a peek at the head).
    """
    with _reading(log, buffer) as stream:
        if log.is_json_document and not _json_lines_inside(stream):
            yield from _iter_document(stream)
        else:
            for number, raw in enumerate(stream, start=1):
                if not raw.strip():
                    continue
                if not decode:
                    yield number, raw
                    continue
                try:
                    yield number, orjson.loads(raw)
                except orjson.JSONDecodeError:
                    yield number, InvalidJSON()
        _drain(stream)


def iter_blocks(log: LogFile, size: int = 3 << 19) -> Iterator[tuple[int, bytes]]:
    """Yield ``(first_line, block)`` for a JSON Lines file: ~``size`` (1.5 MiB) bytes of whole lines.

    Blocks let worker processes split and decode lines themselves, so the reading process does
    no per-line work. The size trades per-block costs against the memory each block in flight
    holds once decoded (bench/results/tuning.md). Errors are as in `iter_objects`.
    """
    number = 1
    with _reading(log) as stream:
        while block := stream.read(size):
            if not block.endswith(b"\n"):
                block += stream.readline()
            yield number, block
            number += block.count(b"\n")


def read_range(path: str, start: int, end: int) -> bytes:
    """The lines of a plain (uncompressed) JSON Lines file that start at byte offsets in
    ``[start, end)``, whole: the partial line at ``start`` is skipped (it belongs to the range
    before) and the last line is read past ``end`` to its newline (or the end of the file).

    Ranges that cover a file side by side thus split it into blocks that join up to the file,
    each with ``block.count(b"\\n")`` of its newlines. OSError when the file cannot be read.
    """
    with open(path, "rb") as f:
        if start > 0:
            f.seek(start - 1)
            f.readline()  # to the first line that starts at or after `start`
        at = f.tell()
        if at >= end:
            return b""
        block = f.read(end - at)
        if block and not block.endswith(b"\n"):
            block += f.readline()
        return block


def digest(path: str) -> tuple[str, int]:
    """``(sha256, bytes)`` of the file at ``path`` as stored (what a full read of it records
    in the manifest). OSError when the file cannot be read."""
    with open(path, "rb", buffering=0) as f:
        hasher = hashlib.file_digest(f, "sha256")
        return hasher.hexdigest(), f.tell()


def read_ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """``items``, produced by a helper thread up to ``depth`` ahead of the consumer.

    File reads, decompression and hashing release the GIL, so they overlap with the
    consumer's work. An exception raised while producing is raised in the consumer.
    """
    entries: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                entries.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((False, item)):
                    return
            put((True, None))
        except BaseException as exc:  # handed to the consumer
            put((True, exc))

    threading.Thread(target=produce, name="slmconvert-read-ahead", daemon=True).start()
    try:
        while True:
            finished, value = entries.get()
            if finished:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()


def _drain(stream: BinaryIO) -> None:
    # read to the end so the hash covers the whole file and a truncated tail is detected
    while stream.read(BUFFER):
        pass


_PEEK = 1 << 16
_OTLP_HEAD = b'"resourceSpans"'


def _json_lines_inside(stream: BinaryIO) -> bool:
    """Whether a `.json` file holds JSON Lines (some exporters name them so): one object ends
    and the next begins on a new line."""
    head = stream.peek(_PEEK)[:_PEEK].lstrip()
    return head[:1] == b"{" and b"}\n{" in head.replace(b"\r", b"")


def _iter_document(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    """The values of a JSON document, parsed as they are read: each element of a top-level
    array; each resource span of an OTLP export (``{"resourceSpans": [...]}``) as an export of
    its own; any other document whole. A document that stops parsing yields ``InvalidJSON``
    once, after the values read before."""
    import ijson

    head = stream.peek(_PEEK)[:_PEEK].lstrip()
    if head[:1] == b"[":
        values, wrap = ijson.items(stream, "item", use_float=True), None
    elif head[:1] == b"{" and head[1:].lstrip().startswith(_OTLP_HEAD):
        values, wrap = ijson.items(stream, "resourceSpans.item", use_float=True), "resourceSpans"
    else:
        values, wrap = ijson.items(stream, "", use_float=True), None
    number = 0
    try:
        for number, value in enumerate(values, start=1):  # noqa: B007 - used after the loop
            yield number, {wrap: [value]} if wrap else value
    except ijson.JSONError:
        yield number + 1, InvalidJSON()


def peek_objects(log: LogFile, limit: int = 20, buffer: int = BUFFER) -> list[Any]:
    """Up to ``limit`` valid JSON objects from the start of ``log`` (for format detection),
    read ``buffer`` bytes at a time."""
    if log.path == STDIN:
        raise InputError("stdin cannot be peeked", "this is a bug; rerun with --debug")
    found = []
    try:
        for _, obj in iter_objects(log, buffer=buffer):
            if not isinstance(obj, InvalidJSON):
                found.append(obj)
            if len(found) >= limit:
                break
    finally:
        log.bytes_read = 0
        log.sha256 = None
    return found
