"""The calls of a stage directory read once, in Arrow batches, into compact per-call arrays.

`cluster` needs, per call, its structure (tools, system prompt, workload: few distinct values),
its normalised first user turn, and what a cluster profile reports (tokens, cost, kind of
answer, tool called). Nothing else of a record stays in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow.parquet as pq
import xxhash

from slmconvert.clustering.profile import tokens
from slmconvert.clustering.request import RequestView, of_record
from slmconvert.records import answer_kind

COLUMNS = ["id", "messages", "tools", "workload", "response", "usage", "cost_usd"]
BATCH = 20_000


@dataclass
class Calls:
    """Per-call arrays in stored order, and the distinct structures they index into."""

    ids: list[str]
    structure: np.ndarray  # int32 index into ``structures``
    structures: list[RequestView]  # user left empty: tools, system prompt, workload
    users: list[str]
    tokens_in: np.ndarray
    tokens_out: np.ndarray
    estimated: np.ndarray
    cost: np.ndarray  # NaN where the log has none
    kinds: list[str]
    called: list[str]  # first tool called, "" for none
    _hashes: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def hashes(self, seed: int) -> np.ndarray:
        """A seeded 64-bit hash per call, for samples that do not depend on the input order."""
        if seed not in self._hashes:  # the fit and the profiles sample with the same seed
            self._hashes[seed] = np.array(
                [xxhash.xxh3_64_intdigest(i.encode(), seed=seed) for i in self.ids], np.uint64
            )
        return self._hashes[seed]

    def counts(self) -> np.ndarray:
        return np.bincount(self.structure, minlength=len(self.structures))


def read_calls(files, max_chars: int) -> Calls:
    """The compact calls of the Parquet ``files``, structures in a canonical order."""
    index: dict[tuple, int] = {}
    views: list[RequestView] = []
    calls = Calls([], np.zeros(0, np.int32), [], [], *([] for _ in range(6)))
    structure = []
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH, columns=COLUMNS):
            for record in batch.to_pylist():
                v = of_record(record, max_chars)
                key = (v.tools, v.system, v.workload or "")
                if key not in index:
                    index[key] = len(views)
                    views.append(RequestView(v.tools, v.system, "", v.workload))
                structure.append(index[key])
                calls.ids.append(record["id"])
                calls.users.append(v.user)
                inp, out, est = tokens(record)
                calls.tokens_in.append(inp)
                calls.tokens_out.append(out)
                calls.estimated.append(est)
                calls.cost.append(np.nan if record["cost_usd"] is None else record["cost_usd"])
                kind = answer_kind(record["response"])
                calls.kinds.append("tool calls" if kind.startswith("tool:") else kind)
                calls.called.append(kind[5:] if kind.startswith("tool:") else "")
    keys = list(index)
    order = sorted(range(len(views)), key=keys.__getitem__)  # canonical, not input order
    rank = np.empty(len(order), np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    calls.structures = [views[i] for i in order]
    calls.structure = rank[np.asarray(structure, np.int64)] if structure else calls.structure
    for name in ("tokens_in", "tokens_out"):
        setattr(calls, name, np.asarray(getattr(calls, name), np.int64))
    calls.estimated = np.asarray(calls.estimated, bool)
    calls.cost = np.asarray(calls.cost, np.float64)
    return calls
