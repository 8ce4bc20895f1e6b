"""Writing records: shards of at most ``shard_rows``, row groups of about ``row_group_rows``
however small the tables handed in, every record once and in order."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from slmconvert.core.records import SCHEMA, message, new_record, to_table
from slmconvert.core.stagedir import RecordWriter


def calls(start: int, n: int):
    return to_table(
        [
            new_record(
                source={"format": "openai", "file": "log.jsonl", "line": i},
                messages=[message("user", f"Where is order {i}?")],
                response=message("assistant", "It ships tomorrow."),
            )
            for i in range(start, start + n)
        ]
    )


def test_small_tables_are_gathered_into_row_groups_within_shards(tmp_path):
    writer = RecordWriter(tmp_path, shard_rows=1000, row_group_rows=300)
    for start in range(0, 2450, 70):  # 35 tables of 70 rows
        writer.write_table(calls(start, 70))
    writer.close()

    shards = sorted(tmp_path.glob("part-*.parquet"))
    assert [p.name for p in shards] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    groups = [
        [f.metadata.row_group(g).num_rows for g in range(f.num_row_groups)]
        for f in map(pq.ParquetFile, shards)
    ]
    assert [sum(g) for g in groups] == [1000, 1000, 450]
    # 70-row tables reach 300 rows at 350; a shard's end cuts a group short
    assert groups[0] == [350, 350, 300]
    assert all(n <= 350 for g in groups for n in g)
    lines = pq.read_table(shards).column("source").combine_chunks().field("line").to_pylist()
    assert lines == list(range(2450))
    assert writer.rows == 2450


def test_nothing_is_written_before_a_row_group_fills_or_the_writer_closes(tmp_path):
    writer = RecordWriter(tmp_path, row_group_rows=100)
    writer.write_table(calls(0, 40))
    assert list(tmp_path.glob("*.parquet")) == []
    writer.close()
    assert pq.read_table(tmp_path / "part-00000.parquet").num_rows == 40


def schema_1() -> pa.Schema:
    """The record schema before media, has_media and provider (slmconvert 0.1, schema 1)."""
    call = pa.struct([("id", pa.string()), ("name", pa.string()), ("arguments", pa.string())])
    msg = pa.struct(
        [("role", pa.string()), ("content", pa.string()), ("tool_calls", pa.list_(call)),
         ("tool_call_id", pa.string()), ("name", pa.string())]
    )  # fmt: skip
    fields = []
    for field in SCHEMA:
        if field.name == "has_media":
            continue
        if field.name == "messages":
            field = pa.field("messages", pa.list_(msg))
        elif field.name == "response":
            field = pa.field("response", msg)
        fields.append(field)
    return pa.schema(fields)


def test_records_of_an_earlier_schema_are_written_in_the_current_one(tmp_path):
    old = [{k: v for k, v in r.items() if k != "has_media"} for r in calls(0, 3).to_pylist()]
    for r in old:
        for m in (*r["messages"], r["response"]):
            m.pop("media", None)
    table = pa.Table.from_pylist(old, schema=schema_1())

    writer = RecordWriter(tmp_path)
    writer.write_table(table)
    writer.close()

    back = pq.read_table(tmp_path)
    assert back.schema.equals(SCHEMA)
    assert back.column("id").to_pylist() == table.column("id").to_pylist()
    assert back.column("has_media").to_pylist() == [None] * 3
