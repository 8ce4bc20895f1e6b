"""Per-cluster totals folded batch by batch give what the whole arrays give."""

from collections import Counter

import numpy as np

from slmconvert.clustering import tally as tally_module
from slmconvert.clustering.tally import ClusterTally, percentile


def test_percentiles_from_value_counts_are_numpys_linear_percentiles():
    rng = np.random.default_rng(1)
    for _ in range(500):
        data = rng.integers(0, int(rng.choice([3, 90, 100_000])), int(rng.integers(1, 300)))
        values, counts = np.unique(data.astype(np.int32), return_counts=True)
        for q in (5, 50, 95, 99):
            assert percentile(values, counts, q) == np.percentile(data, q)


def test_a_tally_over_batches_matches_the_whole_arrays(monkeypatch):
    monkeypatch.setattr(tally_module, "_FOLD", 100)  # merge the value counts often
    rng = np.random.default_rng(2)
    n = 5000
    labels = rng.choice([-1, 0, 3, 7], n).astype(np.int32)
    cols = {
        "tokens_in": rng.integers(0, 4000, n).astype(np.int32),
        "tokens_out": rng.integers(0, 50, n).astype(np.int32),
        "estimated": rng.random(n) < 0.01,
        "cost": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
        "kind": rng.integers(0, 3, n).astype(np.int8),
        "called": rng.integers(0, 5, n).astype(np.int32),
    }
    tally = ClusterTally(labels, [0, 3, 7], n_tools=5)
    for start in range(0, n, 700):
        tally.add(start, {k: v[start : start + 700] for k, v in cols.items()})
    for cid in (0, 3, 7, -1):
        members = labels == cid
        row = tally.row(cid)
        assert tally.size[row] == members.sum()
        assert np.isclose(tally.cost[row], np.nan_to_num(cols["cost"][members]).sum())
        assert tally.estimated[row] == cols["estimated"][members].any()
        for name, counts in (("tokens_in", tally.tokens_in), ("tokens_out", tally.tokens_out)):
            for q in (50, 95):
                assert percentile(*counts.of(row), q) == np.percentile(cols[name][members], q)
        most_common = Counter(cols["called"][members].tolist()).most_common()
        assert tally.counted(cid, kinds=False) == most_common  # ties: first seen first
        assert (
            tally.counted(cid, kinds=True) == Counter(cols["kind"][members].tolist()).most_common()
        )
