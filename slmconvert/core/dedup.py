"""Exact deduplication keys for large logs, kept in about 8 bytes per distinct record.

A Python ``set`` of ints costs ~90 bytes per entry, which on a 1 GB log is most of the memory
that grows with the input. Here the keys seen so far live in a sorted NumPy array (8 bytes each,
looked up a batch at a time with a binary search); only the newest keys sit in a small set until
they are merged into the array.
"""

from __future__ import annotations

import numpy as np

MERGE_AT = 1 << 16  # keys held in the set before they move to the array (~6 MB at most)


class SeenKeys:
    """The 64-bit keys seen so far; `first_seen` says which of a batch are new."""

    def __init__(self, merge_at: int = MERGE_AT):
        self.merge_at = merge_at
        self._sorted = np.empty(0, dtype=np.uint64)
        self._recent: set[int] = set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def first_seen(self, keys: list[int]) -> list[bool]:
        """For each key in order: True the first time it is seen (also within ``keys``)."""
        old = self._sorted
        if len(old) and keys:
            batch = np.fromiter(keys, dtype=np.uint64, count=len(keys))
            at = np.minimum(np.searchsorted(old, batch), len(old) - 1)
            in_old = (old[at] == batch).tolist()
        else:
            in_old = [False] * len(keys)
        recent = self._recent
        fresh = []
        for key, known in zip(keys, in_old, strict=True):
            new = not known and key not in recent
            if new:
                recent.add(key)
            fresh.append(new)
        if len(recent) >= self.merge_at:
            self._merge()
        return fresh

    def _merge(self) -> None:
        new = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
        new.sort()
        merged = np.concatenate((self._sorted, new))
        merged.sort(kind="stable")  # two sorted runs: the stable sort merges them in one pass
        self._sorted = merged
        self._recent.clear()
