"""The calls of a stage directory read once, in Arrow batches, into compact per-call arrays.

`cluster` needs, per call, its structure (tools, system prompt, workload: few distinct values),
its normalised first user turn, and what a cluster profile reports (tokens, cost, kind of
answer, tool called). Nothing else of a record stays in memory, and the texts (ids, user
turns) wait on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from slmconvert.clustering.profile import KINDS, tokens
from slmconvert.clustering.request import RequestView, of_record
from slmconvert.clustering.spill import BatchFile, TextColumn
from slmconvert.core.records import answer_kind

COLUMNS = ["id", "messages", "tools", "workload", "response", "usage", "cost_usd"]
BATCH = 20_000


NUMBERS = pa.schema(
    [
        ("tokens_in", pa.int32()),
        ("tokens_out", pa.int32()),
        ("estimated", pa.bool_()),
        ("cost", pa.float64()),  # NaN where the log has none
        ("kind", pa.int8()),  # index into KINDS
        ("called", pa.int32()),  # index into ``Calls.tools``: the first tool called (0: none)
    ]
)
"""What a cluster profile reports of each call, read once after the fit."""


@dataclass
class Calls:
    """The calls in stored order: each one's structure in memory (an index into the distinct
    structures, 4 bytes a call); ids, user turns and the numbers its profile reports in files,
    read back a batch at a time."""

    ids: TextColumn
    structure: np.ndarray  # int32 index into ``structures``
    structures: list[RequestView]  # user left empty: tools, system prompt, workload
    users: TextColumn
    numbers: BatchFile  # columns of NUMBERS
    tools: list[str] = field(default_factory=lambda: [""])

    def __len__(self) -> int:
        return len(self.structure)

    def counts(self) -> np.ndarray:
        return np.bincount(self.structure, minlength=len(self.structures))


class _Batch:
    """One Arrow batch's calls, as plain arrays."""

    def __init__(self, records: list[dict], max_chars: int, structure_of, tool_of):
        views = [of_record(r, max_chars) for r in records]
        self.structure = np.array([structure_of(v) for v in views], np.int32)
        self.users = [v.user for v in views]
        self.ids = [r["id"] for r in records]
        counted = [tokens(r) for r in records]
        answers = [answer_kind(r["response"]) for r in records]
        self.numbers = {
            "tokens_in": _int32([c[0] for c in counted]),
            "tokens_out": _int32([c[1] for c in counted]),
            "estimated": np.array([c[2] for c in counted], bool),
            "cost": np.array(
                [np.nan if r["cost_usd"] is None else r["cost_usd"] for r in records], np.float64
            ),
            "kind": np.array([_KIND_CODE.get(a, TOOL_CALLS) for a in answers], np.int8),
            "called": np.array(
                [tool_of(a[5:]) if a.startswith("tool:") else 0 for a in answers], np.int32
            ),
        }


def _int32(values: list[int]) -> np.ndarray:
    """Token counts in 4 bytes each (a count past 2**31 in a log is clipped, not wrapped)."""
    return np.clip(np.array(values, np.int64), 0, 2**31 - 1).astype(np.int32)


TOOL_CALLS = KINDS.index("tool calls")
_KIND_CODE = {"text": 0, "json": 1}


def read_calls(files, max_chars: int, spill_dir: str | Path) -> Calls:
    """The compact calls of the Parquet ``files``, structures in a canonical order; ids, user
    turns and profile numbers go to files in ``spill_dir``."""
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

    spill = Path(spill_dir)
    ids, users = TextColumn(spill / "ids.arrow"), TextColumn(spill / "users.arrow")
    numbers = BatchFile(spill / "numbers.arrow", NUMBERS)
    # sized from the files' footers, so no per-batch pieces are left to concatenate
    structure = np.empty(sum(pq.ParquetFile(f).metadata.num_rows for f in files), np.int32)
    start = 0
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH, columns=COLUMNS):
            got = _Batch(batch.to_pylist(), max_chars, structure_of, tool_of)
            ids.extend(got.ids)
            users.extend(got.users)
            numbers.write(got.numbers)
            structure[start : start + len(got.ids)] = got.structure
            start += len(got.ids)
    keys = list(index)
    order = sorted(range(len(views)), key=keys.__getitem__)  # canonical, not input order
    rank = np.empty(len(order), np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return Calls(
        ids=ids.close(),
        structure=rank[structure] if len(order) else structure,
        structures=[views[i] for i in order],
        users=users.close(),
        numbers=numbers.close(),
        tools=tools,
    )
