"""The calls of a stage directory read once, in Arrow batches, into compact per-call arrays.

`cluster` needs, per call, its structure (tools, system prompt, workload: few distinct values),
its normalised first user turn, and what a cluster profile reports (tokens, cost, kind of
answer, tool called). Nothing else of a record stays in memory, and the texts (ids, user
turns) wait on disk.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from slmconvert.clustering.profile import tokens
from slmconvert.clustering.request import RequestView, of_record
from slmconvert.clustering.spill import TextColumn
from slmconvert.core.records import answer_kind

COLUMNS = ["id", "messages", "tools", "workload", "response", "usage", "cost_usd"]
BATCH = 20_000


@dataclass
class Calls:
    """Per-call arrays in stored order, and the distinct structures they index into.

    Numbers stay in memory (about 40 bytes a call); ids and user turns are `TextColumn`s on
    disk (or lists, for calls built in memory), read back in batches."""

    ids: Sequence[str] | TextColumn
    structure: np.ndarray  # int32 index into ``structures``
    structures: list[RequestView]  # user left empty: tools, system prompt, workload
    users: Sequence[str] | TextColumn
    tokens_in: np.ndarray
    tokens_out: np.ndarray
    estimated: np.ndarray
    cost: np.ndarray  # NaN where the log has none
    kinds: list[str]  # interned: three distinct values
    called: list[str]  # first tool called, "" for none (interned)
    _hashes: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.structure)

    def hashes(self, seed: int) -> np.ndarray:
        """A seeded 64-bit hash per call, for samples that do not depend on the input order."""
        if seed not in self._hashes:  # the fit and the profiles sample with the same seed
            chunks = self.ids.batches() if isinstance(self.ids, TextColumn) else [self.ids]
            self._hashes[seed] = np.concatenate(
                [
                    np.array(
                        [xxhash.xxh3_64_intdigest(i.encode(), seed=seed) for i in _strings(c)],
                        np.uint64,
                    )
                    for c in chunks
                ]
                or [np.zeros(0, np.uint64)]
            )
        return self._hashes[seed]

    def counts(self) -> np.ndarray:
        return np.bincount(self.structure, minlength=len(self.structures))


def _strings(chunk) -> list[str]:
    return chunk.to_pylist() if isinstance(chunk, pa.Array) else list(chunk)


class _Batch:
    """One Arrow batch's calls, as plain arrays."""

    def __init__(self, records: list[dict], max_chars: int, structure_of):
        views = [of_record(r, max_chars) for r in records]
        self.structure = np.array([structure_of(v) for v in views], np.int32)
        self.users = [v.user for v in views]
        self.ids = [r["id"] for r in records]
        counted = [tokens(r) for r in records]
        self.tokens_in = np.array([c[0] for c in counted], np.int64)
        self.tokens_out = np.array([c[1] for c in counted], np.int64)
        self.estimated = np.array([c[2] for c in counted], bool)
        self.cost = np.array(
            [np.nan if r["cost_usd"] is None else r["cost_usd"] for r in records], np.float64
        )
        answers = [answer_kind(r["response"]) for r in records]
        self.kinds = [_KINDS.get(a, "tool calls") for a in answers]
        self.called = [sys.intern(a[5:]) if a.startswith("tool:") else "" for a in answers]


_KINDS = {"json": "json", "text": "text"}


def read_calls(files, max_chars: int, spill_dir: str | Path | None = None) -> Calls:
    """The compact calls of the Parquet ``files``, structures in a canonical order; ids and
    user turns go to files in ``spill_dir`` when given (else they stay in lists)."""
    index: dict[tuple, int] = {}
    views: list[RequestView] = []

    def structure_of(v: RequestView) -> int:
        key = (v.tools, v.system, v.workload or "")
        if key not in index:
            index[key] = len(views)
            views.append(RequestView(v.tools, v.system, "", v.workload))
        return index[key]

    spill = Path(spill_dir) if spill_dir is not None else None
    ids = TextColumn(spill / "ids.arrow") if spill else []
    users = TextColumn(spill / "users.arrow") if spill else []
    parts: dict[str, list] = {k: [] for k in ARRAYS}
    kinds, called = [], []
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH, columns=COLUMNS):
            got = _Batch(batch.to_pylist(), max_chars, structure_of)
            ids.extend(got.ids)
            users.extend(got.users)
            for name in ARRAYS:
                parts[name].append(getattr(got, name))
            kinds += got.kinds
            called += got.called
    arrays = {k: np.concatenate(v) if v else np.zeros(0, ARRAYS[k]) for k, v in parts.items()}
    keys = list(index)
    order = sorted(range(len(views)), key=keys.__getitem__)  # canonical, not input order
    rank = np.empty(len(order), np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    if spill:
        ids.close(), users.close()
    return Calls(
        ids=ids,
        structure=rank[arrays.pop("structure")] if len(order) else arrays.pop("structure"),
        structures=[views[i] for i in order],
        users=users,
        kinds=kinds,
        called=called,
        **arrays,
    )


ARRAYS = {
    "structure": np.int32,
    "tokens_in": np.int64,
    "tokens_out": np.int64,
    "estimated": bool,
    "cost": np.float64,
}
