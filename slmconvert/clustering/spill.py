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
        """Positions that put the strings in ascending byte order."""
        column = pa.chunked_array(list(self.batches()), pa.large_string())
        return pc.sort_indices(column).to_numpy()

    def smallest(self, members: np.ndarray, k: int) -> list[str]:
        """The ``k`` smallest strings among positions ``members``."""
        best: list[str] = []
        for start in range(0, len(members), BATCH * 5):
            best = sorted(best + self.take(members[start : start + BATCH * 5]))[:k]
        return best


def take(texts: Sequence[str] | TextColumn, indices: Sequence[int] | np.ndarray) -> list[str]:
    """``[texts[i] for i in indices]`` for a list or a `TextColumn` (read in batches)."""
    if isinstance(texts, TextColumn):
        return texts.take(indices)
    return [texts[i] for i in indices]
