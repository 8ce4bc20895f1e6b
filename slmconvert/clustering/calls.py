"""The calls of a stage directory read once, in Arrow batches, into compact per-call arrays.

`cluster` needs, per call, its structure (tools, system prompt, workload: few distinct values),
its normalised first user turn, and what a cluster profile reports (tokens, cost, kind of
answer, tool called). Nothing else of a record stays in memory, and the texts (ids, user
turns) wait on disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from slmconvert.clustering.profile import KINDS, tokens
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
    kinds: np.ndarray  # int8 index into KINDS
    called: np.ndarray  # int32 index into ``tools``: the first tool called (0: none)
    tools: list[str] = field(default_factory=lambda: [""])
    _last: tuple[int, np.ndarray] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.structure)

    def hashes(self, seed: int) -> np.ndarray:
        """A seeded 64-bit hash per call, for samples that do not depend on the input order.
        Only the last seed's array is kept (8 bytes a call): the fit and the profiles ask for
        the same seed, the agreement check and the map for seeds of their own."""
        if self._last is None or self._last[0] != seed:
            self._last = (seed, self._hash(seed))
        return self._last[1]

    def _hash(self, seed: int) -> np.ndarray:
        chunks = self.ids.batches() if isinstance(self.ids, TextColumn) else [self.ids]
        return np.concatenate(
            [
                np.array(
                    [xxhash.xxh3_64_intdigest(i.encode(), seed=seed) for i in _strings(c)],
                    np.uint64,
                )
                for c in chunks
            ]
            or [np.zeros(0, np.uint64)]
        )

    def counts(self) -> np.ndarray:
        return np.bincount(self.structure, minlength=len(self.structures))


def _strings(chunk) -> list[str]:
    return chunk.to_pylist() if isinstance(chunk, pa.Array) else list(chunk)


class _Batch:
    """One Arrow batch's calls, as plain arrays."""

    def __init__(self, records: list[dict], max_chars: int, structure_of, tool_of):
        views = [of_record(r, max_chars) for r in records]
        self.structure = np.array([structure_of(v) for v in views], np.int32)
        self.users = [v.user for v in views]
        self.ids = [r["id"] for r in records]
        counted = [tokens(r) for r in records]
        self.tokens_in = _int32([c[0] for c in counted])
        self.tokens_out = _int32([c[1] for c in counted])
        self.estimated = np.array([c[2] for c in counted], bool)
        self.cost = np.array(
            [np.nan if r["cost_usd"] is None else r["cost_usd"] for r in records], np.float64
        )
        answers = [answer_kind(r["response"]) for r in records]
        self.kinds = np.array([_KIND_CODE.get(a, TOOL_CALLS) for a in answers], np.int8)
        self.called = np.array(
            [tool_of(a[5:]) if a.startswith("tool:") else 0 for a in answers], np.int32
        )


def _int32(values: list[int]) -> np.ndarray:
    """Token counts in 4 bytes each (a count past 2**31 in a log is clipped, not wrapped)."""
    return np.clip(np.array(values, np.int64), 0, 2**31 - 1).astype(np.int32)


TOOL_CALLS = KINDS.index("tool calls")
_KIND_CODE = {"text": 0, "json": 1}


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

    tools: list[str] = [""]
    tool_index: dict[str, int] = {"": 0}

    def tool_of(name: str) -> int:
        if name not in tool_index:
            tool_index[name] = len(tools)
            tools.append(name)
        return tool_index[name]

    spill = Path(spill_dir) if spill_dir is not None else None
    ids = TextColumn(spill / "ids.arrow") if spill else []
    users = TextColumn(spill / "users.arrow") if spill else []
    parts: dict[str, list] = {k: [] for k in ARRAYS}
    kinds, called = [], []  # per-batch code arrays
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH, columns=COLUMNS):
            got = _Batch(batch.to_pylist(), max_chars, structure_of, tool_of)
            ids.extend(got.ids)
            users.extend(got.users)
            for name in ARRAYS:
                parts[name].append(getattr(got, name))
            kinds.append(got.kinds)
            called.append(got.called)
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
        kinds=np.concatenate(kinds) if kinds else np.zeros(0, np.int8),
        called=np.concatenate(called) if called else np.zeros(0, np.int32),
        tools=tools,
        **arrays,
    )


ARRAYS = {
    "structure": np.int32,
    "tokens_in": np.int32,
    "tokens_out": np.int32,
    "estimated": bool,
    "cost": np.float64,
}
