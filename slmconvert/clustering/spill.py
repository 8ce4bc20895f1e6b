"""Per-call texts kept on disk while `cluster` runs, read back by position in batches.

`cluster` needs every call's id and normalised user turn, but only a few at a time: samples
for the fit, one node's members while routing them, a cluster's smallest ids. Holding them as
Python strings costs ~200 bytes a call, the stage's one cost that grew with the log. Here they
are written once to an Arrow IPC file in batches and read back a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BATCH = 20_000
_SCHEMA = pa.schema([("text", pa.large_string())])
_HEX32 = "^[0-9a-f]{32}$"


def _positions(order: np.ndarray) -> np.ndarray:
    """Positions in 4 bytes each where they fit."""
    return order.astype(np.int32) if len(order) < 2**31 else order


def _overlapping(values: np.ndarray, size: int) -> Iterator[np.ndarray]:
    """Slices of ``size`` that overlap by one, so that neighbours are never split apart."""
    for start in range(0, max(len(values) - 1, 1), size):
        yield values[start : start + size + 1]


class BatchFile:
    """Arrow record batches appended to a file, then read back in order (numbers `cluster`
    needs only once, for the profiles)."""

    def __init__(self, path: str | Path, schema: pa.Schema):
        self.path, self.schema = Path(path), schema
        self._sink = pa.OSFile(str(self.path), "wb")
        self._writer = pa.ipc.new_file(self._sink, schema)

    def write(self, columns: dict[str, np.ndarray]) -> None:
        """Append one batch (only before ``close``)."""
        self._writer.write_batch(pa.record_batch(columns, self.schema))

    def close(self) -> BatchFile:
        """Finish writing; read-only from here on."""
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
            self._writer = None
        return self

    def batches(self) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """``(first position, columns as NumPy arrays)`` of every batch, in order."""
        reader = pa.ipc.open_file(pa.OSFile(str(self.path), "rb"))
        start = 0
        for k in range(reader.num_record_batches):
            batch = reader.get_batch(k)
            cols = {
                name: batch.column(name).to_numpy(zero_copy_only=False)
                for name in self.schema.names
            }
            yield start, cols
            start += batch.num_rows


class TextColumn:
    """Strings appended in order to a file, then read back by position (``take``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._sink = pa.OSFile(str(self.path), "wb")
        self._writer = pa.ipc.new_file(self._sink, _SCHEMA)
        self._pending: list[str] = []
        self._length = 0
        self._reader = None

    def extend(self, texts: Sequence[str]) -> None:
        """Append ``texts`` (only before ``close``)."""
        self._pending.extend(texts)
        self._length += len(texts)
        while len(self._pending) >= BATCH:
            self._flush(self._pending[:BATCH])
            del self._pending[:BATCH]

    def _flush(self, texts: list[str]) -> None:
        self._writer.write_batch(pa.record_batch([pa.array(texts, pa.large_string())], _SCHEMA))

    def close(self) -> TextColumn:
        """Finish writing; the column is read-only from here on."""
        if self._writer is not None:
            if self._pending:
                self._flush(self._pending)
            self._pending = []
            self._writer.close()
            self._sink.close()
            self._writer = None
            self._reader = pa.ipc.open_file(pa.OSFile(str(self.path), "rb"))
        return self

    def __len__(self) -> int:
        return self._length

    def _batch(self, k: int) -> pa.Array:
        return self._reader.get_batch(k).column(0)

    def batches(self) -> Iterator[pa.Array]:
        """Every batch, in order."""
        for k in range(self._reader.num_record_batches):
            yield self._batch(k)

    def take(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        """The strings at ``indices``, in that order (each batch read once)."""
        idx = np.asarray(indices, np.int64)
        out: list = [None] * len(idx)
        if not len(idx):
            return out
        where = np.argsort(idx, kind="stable")
        block = idx[where] // BATCH
        for k in np.unique(block):
            pick = where[block == k]
            values = self._batch(int(k)).take(pa.array(idx[pick] - k * BATCH)).to_pylist()
            for slot, value in zip(pick.tolist(), values, strict=True):
                out[slot] = value
        return out

    def sort_order(self) -> np.ndarray:
        """Positions that put the strings in ascending byte order.

        Record ids are 32 lowercase hex digits, so the first 16 as a big-endian integer order
        them as their text does: 8 bytes a call are sorted instead of every string (which are
        compared whole only when two of those prefixes tie, or for ids of another shape)."""
        keys = self.hex_keys()
        if keys is not None:
            order = np.argsort(keys)
            keys.sort()  # in place: a tie needs the whole ids compared
            tied = any((c[1:] == c[:-1]).any() for c in _overlapping(keys, 1 << 20))
            del keys
            if not tied:
                return _positions(order)
            del order
        column = pa.chunked_array(list(self.batches()), pa.large_string())
        return _positions(pc.sort_indices(column).to_numpy())

    def hex_keys(self) -> np.ndarray | None:
        """The first 16 hex digits of each string as an unsigned integer, or None when a
        string is not 32 lowercase hex digits."""
        parts = []
        for chunk in self.batches():
            if len(chunk) and not pc.all(pc.match_substring_regex(chunk, _HEX32)).as_py():
                return None
            raw = bytes.fromhex("".join(pc.utf8_slice_codeunits(chunk, 0, 16).to_pylist()))
            parts.append(np.frombuffer(raw, ">u8").astype(np.uint64))
        return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


def take(texts: Sequence[str] | TextColumn, indices: Sequence[int] | np.ndarray) -> list[str]:
    """``[texts[i] for i in indices]`` for a list or a `TextColumn` (read in batches)."""
    if isinstance(texts, TextColumn):
        return texts.take(indices)
    return [texts[i] for i in indices]
