"""Cluster ids that stay put: ordered by traffic, and kept from an earlier run where they persist.

The gateway's rollout state is keyed by cluster id, so a re-run of `cluster` on next month's logs
must not renumber a cluster that is already at 50 % on its SLM. With a previous router, every
call is also labelled by it; a new cluster takes the previous id that most of its calls had
(when that is more than half of them and no bigger cluster took it first). The rest get fresh
ids above every previous one, so an id never changes meaning.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from slmconvert.clustering.router import NOISE, TaskRouter


def stable_ids(
    provisional: np.ndarray, calls, previous: TaskRouter | None, min_size: int
) -> tuple[dict[int, int], dict]:
    """Final id per provisional cluster id (small ones dropped), and which ids are new or gone."""
    counted = np.bincount(provisional + 1)  # provisional NOISE (-1) counted at 0
    sizes = {c - 1: int(n) for c, n in enumerate(counted.tolist()) if c and n}
    order = sorted((c for c in sizes if sizes[c] >= min_size), key=lambda c: (-sizes[c], c))
    if previous is None:
        return {c: i for i, c in enumerate(order)}, {}
    node, _ = previous.nodes_of(calls.structures)
    before = previous.label_nodes(node.astype(np.int32)[calls.structure], calls.users)
    known = previous.cluster_ids()
    mapping, taken = {}, set()
    for c in order:
        votes = Counter(int(p) for p in before[provisional == c] if p != NOISE)
        for p, n in votes.most_common():
            if p not in taken and n > sizes[c] / 2:
                mapping[c] = p
                taken.add(p)
            break
    fresh = max(known, default=NOISE) + 1
    for c in order:
        if c not in mapping:
            mapping[c] = fresh
            fresh += 1
    lineage = {
        "kept": sorted(taken),
        "new": sorted(v for v in mapping.values() if v not in taken),
        "gone": sorted(set(known) - taken),
    }
    return mapping, lineage
