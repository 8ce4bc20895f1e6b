"""Per-cluster sizes, answer kinds, tools called, cost and token percentiles, in one pass.

The numbers a profile reports wait on disk (`calls.NUMBERS`); they are read back a batch at a
time and folded into per-cluster totals. Token percentiles come from counts of each distinct
token count per cluster, so they are exact (NumPy's linear percentile) without holding every
call's tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from slmconvert.core.records import NOISE

_FOLD = 1_000_000  # distinct (cluster, value) pairs buffered before they are merged


@dataclass
class _ValueCounts:
    """How many calls of each cluster had each value (values below 2**32)."""

    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pending: list = field(default_factory=list)

    def add(self, group: np.ndarray, values: np.ndarray) -> None:
        codes = (group.astype(np.uint64) << np.uint64(32)) | values.astype(np.uint64)
        self.pending.append(np.unique(codes, return_counts=True))
        if sum(len(c) for c, _ in self.pending) > _FOLD:
            self._fold()

    def _fold(self) -> None:
        codes = np.concatenate([self.codes] + [c for c, _ in self.pending])
        counts = np.concatenate([self.counts] + [n for _, n in self.pending])
        self.codes, inverse = np.unique(codes, return_inverse=True)
        self.counts = np.bincount(inverse, weights=counts).astype(np.int64)
        self.pending = []

    def of(self, group: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct values of ``group`` and their counts."""
        self._fold()
        lo, hi = np.searchsorted(self.codes, [group << 32, (group + 1) << 32])
        values = (self.codes[lo:hi] & np.uint64(0xFFFFFFFF)).astype(np.int32)
        return values, self.counts[lo:hi]


def percentile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """``np.percentile`` (linear) of the data holding ``counts[i]`` copies of ``values[i]``
    (sorted), computed from the counts."""
    n = int(counts.sum())
    if not n:
        return 0.0
    virtual = (n - 1) * np.true_divide(q, 100)
    lo = min(int(np.floor(virtual)), n - 1)
    hi = min(lo + 1, n - 1)
    gamma = np.float64(virtual - np.floor(virtual))
    ends = np.cumsum(counts)
    a, b = values[np.searchsorted(ends, [lo, hi], side="right")]
    diff = b - a
    if gamma >= 0.5:  # as NumPy's _lerp, for the same rounding
        return float(b - diff * (1 - gamma))
    return float(a + diff * gamma)


class ClusterTally:
    """Totals per cluster (and for noise) of the calls' profile numbers."""

    def __init__(self, labels: np.ndarray, cluster_ids: list[int], n_tools: int):
        self.labels = labels
        lookup = np.full(max(cluster_ids, default=0) + 2, len(cluster_ids), np.int32)
        lookup[np.asarray(cluster_ids, np.int64) + 1] = np.arange(len(cluster_ids))
        self._group = lookup  # cluster id + 1 -> row (noise and unknown: the last row)
        rows = len(cluster_ids) + 1
        self.size = np.zeros(rows, np.int64)
        self.cost = np.zeros(rows, np.float64)
        self.estimated = np.zeros(rows, bool)
        self.n_tools = n_tools
        self.kinds: dict[int, list[int]] = {}  # row * 3 + kind -> [count, first position]
        self.called: dict[int, list[int]] = {}  # row * n_tools + tool -> [count, first]
        self.tokens_in, self.tokens_out = _ValueCounts(), _ValueCounts()
        self._by_row: dict[bool, dict[int, list[int]]] = {}

    def rows(self, labels: np.ndarray) -> np.ndarray:
        """The row of each cluster id in ``labels`` (noise: the last row)."""
        return self._group[labels.astype(np.int64, copy=False) + 1]

    def row(self, cluster_id: int) -> int:
        return int(self._group[cluster_id + 1]) if cluster_id != NOISE else len(self.size) - 1

    def add(self, start: int, cols: dict[str, np.ndarray]) -> None:
        """Fold in one batch of numbers, the calls at positions ``start`` onwards."""
        n = len(cols["cost"])
        row = self.rows(self.labels[start : start + n]).astype(np.int64)
        rows = len(self.size)
        self.size += np.bincount(row, minlength=rows)
        self.cost += np.bincount(row, weights=np.nan_to_num(cols["cost"]), minlength=rows)
        self.estimated |= np.bincount(row, weights=cols["estimated"], minlength=rows) > 0
        _count(self.kinds, row * 3 + cols["kind"], start)
        _count(self.called, row * self.n_tools + cols["called"], start)
        self.tokens_in.add(row, cols["tokens_in"])
        self.tokens_out.add(row, cols["tokens_out"])

    def counted(self, cluster_id: int, kinds: bool) -> list[tuple[int, int]]:
        """``(code, count)`` of a cluster's answer kinds (or tools called), most common first,
        ties in the order they first occur (asked once every batch is added)."""
        width = 3 if kinds else self.n_tools
        found = self.kinds if kinds else self.called
        by_row = self._by_row.setdefault(kinds, {})
        if not by_row:  # codes grouped by row once, not a scan of every tool per cluster
            for code in found:
                by_row.setdefault(code // width, []).append(code)
        row = self.row(cluster_id)
        got = [(code - row * width, *found[code]) for code in by_row.get(row, [])]
        return [(code, n) for code, n, _ in sorted(got, key=lambda g: (-g[1], g[2]))]


def _count(found: dict[int, list[int]], codes: np.ndarray, start: int) -> None:
    values, first, counts = np.unique(codes, return_index=True, return_counts=True)
    for code, at, n in zip(values.tolist(), first.tolist(), counts.tolist(), strict=True):
        if code in found:
            found[code][0] += n
        else:
            found[code] = [n, start + at]
