"""The router labels a node's calls a chunk at a time, whatever the node's share of the log."""

import numpy as np

from slmconvert.clustering.router import member_chunks


def test_member_chunks_are_the_nodes_positions_in_order_and_in_equal_chunks():
    nodes = np.random.default_rng(0).integers(-1, 3, 10_000).astype(np.int32)
    want = np.flatnonzero(nodes == 1)
    for size, window in ((500, 1 << 22), (7, 13), (100, 99), (3, 10_000)):
        chunks = list(member_chunks(nodes, 1, size, window))
        assert np.concatenate(chunks).tolist() == want.tolist()
        assert {len(c) for c in chunks[:-1]} == {size}
    assert list(member_chunks(nodes, 5)) == []
