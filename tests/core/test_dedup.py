import random

from slmconvert.core.dedup import SeenKeys


def test_a_key_is_new_only_the_first_time_even_within_one_batch():
    seen = SeenKeys()
    assert seen.first_seen([5, 7, 5, 9]) == [True, True, False, True]
    assert seen.first_seen([9, 11]) == [False, True]
    assert len(seen) == 4


def test_keys_stay_known_after_they_move_from_the_set_to_the_array():
    seen = SeenKeys(merge_at=100)
    rng = random.Random(0)
    keys = [rng.getrandbits(64) for _ in range(1_000)]
    reference: set[int] = set()
    for start in range(0, 3_000, 37):  # every key comes round three times, in odd batches
        batch = [keys[i % len(keys)] for i in range(start, start + 37)]
        expected = []
        for key in batch:
            expected.append(key not in reference)
            reference.add(key)
        assert seen.first_seen(batch) == expected
    assert len(seen) == 1_000
    assert len(seen._recent) < 100  # most keys live in the sorted array


def test_an_empty_batch_changes_nothing():
    seen = SeenKeys(merge_at=1)
    assert seen.first_seen([]) == []
    assert seen.first_seen([2**64 - 1, 0]) == [True, True]
    assert seen.first_seen([0]) == [False]
