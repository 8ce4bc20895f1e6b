"""Deterministic samples of calls: the smallest seeded hashes of their ids, found in one pass.

A sample holds, per group (an agent node, a cluster), the calls whose ids hash smallest under a
seed, ties broken by position: the same calls whatever the order of the log, and nothing per
call kept in memory but the groups the caller already holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import xxhash

from slmconvert.clustering.spill import TextColumn


def seeded_hashes(ids: Sequence[str] | pa.Array, seed: int) -> np.ndarray:
    """A seeded 64-bit hash of each id."""
    strings = ids.to_pylist() if isinstance(ids, pa.Array) else ids
    return np.array([xxhash.xxh3_64_intdigest(i.encode(), seed=seed) for i in strings], np.uint64)


def smallest_hashes(
    ids: Sequence[str] | TextColumn,
    seed: int,
    k: int,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> list[np.ndarray]:
    """Per group, the positions of the ``k`` calls whose ids hash smallest under ``seed``, in
    that order (ties by position). ``groups`` gives each call's group (-1: in none); without
    it every call is in group 0."""
    chunks = ids.batches() if isinstance(ids, TextColumn) else [ids]
    best = _Best(k, n_groups)
    start = 0
    for chunk in chunks:
        n = len(chunk)
        group = np.zeros(n, np.int64) if groups is None else np.asarray(groups[start : start + n])
        inside = np.flatnonzero(group >= 0)
        if len(inside):
            hashes = seeded_hashes(_pick(chunk, inside), seed)
            best.offer(hashes, inside + start, group[inside].astype(np.int64))
        start += n
    return best.result()


def _pick(chunk, positions: np.ndarray):
    if isinstance(chunk, pa.Array):
        return chunk if len(positions) == len(chunk) else chunk.take(pa.array(positions))
    return [chunk[i] for i in positions]


class _Best:
    """The ``k`` smallest (hash, position) per group among those offered so far."""

    def __init__(self, k: int, n_groups: int):
        self.k = k
        self.hash = np.zeros(0, np.uint64)
        self.pos = np.zeros(0, np.int64)
        self.group = np.zeros(0, np.int64)
        self.limit = np.full(n_groups, np.iinfo(np.uint64).max, np.uint64)  # k-th hash when full
        self.n_groups = n_groups

    def offer(self, hashes: np.ndarray, positions: np.ndarray, groups: np.ndarray) -> None:
        """Consider these calls (positions ascending, after every call offered before)."""
        near = hashes <= self.limit[groups]
        h = np.concatenate([self.hash, hashes[near]])
        p = np.concatenate([self.pos, positions[near]])
        g = np.concatenate([self.group, groups[near]])
        order = np.lexsort((p, h, g))
        g = g[order]
        rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")
        keep = order[rank < self.k]
        self.hash, self.pos, self.group = h[keep], p[keep], g[rank < self.k]
        if not len(self.hash):
            return
        full = np.bincount(self.group, minlength=self.n_groups) >= self.k
        last = np.searchsorted(self.group, np.arange(self.n_groups), side="right") - 1
        self.limit = np.where(full, self.hash[last.clip(0)], self.limit).astype(np.uint64)

    def result(self) -> list[np.ndarray]:
        cuts = np.searchsorted(self.group, np.arange(self.n_groups + 1), side="left")
        return [self.pos[cuts[j] : cuts[j + 1]] for j in range(self.n_groups)]
