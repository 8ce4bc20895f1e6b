"""Texts kept on disk while `cluster` runs, read back by position and sorted without loading."""

import numpy as np
import xxhash

from slmconvert.clustering import spill
from slmconvert.clustering.spill import BatchFile, TextColumn


def _column(tmp_path, texts, name="t.arrow") -> TextColumn:
    column = TextColumn(tmp_path / name)
    column.extend(texts)
    return column.close()


def test_record_ids_sort_as_their_text_by_their_leading_hex_digits(tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "BATCH", 300)
    ids = [xxhash.xxh3_128_hexdigest(str(i).encode()) for i in range(2000)]
    column = _column(tmp_path, ids)
    assert column.hex_keys() is not None
    assert [ids[i] for i in column.sort_order()] == sorted(ids)


def test_ids_that_tie_on_their_leading_digits_or_are_not_hex_still_sort_as_text(tmp_path):
    tied = ["0" * 16 + "f" * 16, "0" * 16 + "0" * 16, "a" * 32]
    assert [tied[i] for i in _column(tmp_path, tied).sort_order()] == sorted(tied)
    other = ["run-7", "Run-2", "run-10", "0123"]
    column = _column(tmp_path, other, "other.arrow")
    assert column.hex_keys() is None
    assert [other[i] for i in column.sort_order()] == sorted(other)


def test_a_batch_file_gives_back_its_columns_with_their_positions(tmp_path):
    import pyarrow as pa

    schema = pa.schema([("n", pa.int32()), ("flag", pa.bool_())])
    stored = BatchFile(tmp_path / "n.arrow", schema)
    stored.write({"n": np.arange(3, dtype=np.int32), "flag": np.array([True, False, True])})
    stored.write({"n": np.arange(3, 5, dtype=np.int32), "flag": np.array([False, False])})
    got = list(stored.close().batches())
    assert [start for start, _ in got] == [0, 3]
    assert got[1][1]["n"].tolist() == [3, 4]
    assert got[0][1]["flag"].tolist() == [True, False, True]
