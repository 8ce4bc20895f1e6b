"""Samples by seeded id hash: the same calls as sorting every hash, found in one pass."""

import numpy as np
import xxhash

from slmconvert.clustering import spill
from slmconvert.clustering.sampling import seeded_hashes, smallest_hashes
from slmconvert.clustering.spill import TextColumn


def _ids(n: int) -> list[str]:
    return [xxhash.xxh3_128_hexdigest(str(i).encode()) for i in range(n)]


def test_a_sample_per_group_is_the_smallest_hashes_of_its_members(tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "BATCH", 700)  # several batches on disk
    ids = _ids(5000)
    ids[10] = ids[3000]  # the same id twice: equal hashes, ordered by position
    column = TextColumn(tmp_path / "ids.arrow")
    column.extend(ids)
    column.close()
    groups = np.random.default_rng(0).integers(-1, 6, len(ids)).astype(np.int32)
    hashes = seeded_hashes(ids, 3)
    for k in (1, 40, 2000):
        found = smallest_hashes(column, 3, k, groups, 6)
        for g in range(6):
            members = np.flatnonzero(groups == g)
            assert (
                found[g].tolist()
                == members[np.argsort(hashes[members], kind="stable")[:k]].tolist()
            )


def test_without_groups_the_sample_is_the_smallest_hashes_of_all_calls():
    ids = _ids(3000)
    found = smallest_hashes(ids, 9, 100)
    assert len(found) == 1
    assert found[0].tolist() == np.argsort(seeded_hashes(ids, 9), kind="stable")[:100].tolist()
    assert smallest_hashes(ids, 10, 100)[0].tolist() != found[0].tolist()  # the seed matters


def test_a_group_smaller_than_the_sample_is_taken_whole_and_an_empty_one_is_empty():
    ids = _ids(50)
    groups = np.array([0] * 5 + [-1] * 45, np.int32)
    found = smallest_hashes(ids, 1, 10, groups, 2)
    assert sorted(found[0].tolist()) == [0, 1, 2, 3, 4]
    assert found[1].tolist() == []
