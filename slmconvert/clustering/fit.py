"""Fit a `TaskRouter` on logged calls: agent nodes by structure first, then sub-tasks within.

1. **Nodes.** Calls are grouped by their exact structure (tool set, system prompt, workload);
   the distinct structures are merged by average-linkage clustering on the router's own
   weighted distance, cut at ``node_distance``: reworded prompts of one node and tool-RAG
   subsets of one tool pool merge, nodes with other tools or another role do not. Each node's
   centroid is its calls' mean; every structure then goes to its nearest node, and a node's
   distance bound is calibrated on the distances of its own calls.
2. **Sub-tasks.** Within a node big enough, a deterministic sample of user turns is embedded,
   projected (PCA) and clustered with HDBSCAN; the split is kept only when the sub-tasks are
   sizeable (``min_cluster_size`` calls and ``subtask_min_share`` of the node) and clearly
   apart (silhouette >= ``subtask_separation``). Members go to the nearest sub-task centroid.

Nodes with fewer than ``min_cluster_size`` calls stay in the router as noise targets (-1), so
calls like theirs stay on the LLM instead of joining a bigger node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from slmconvert.clustering.request import RequestView
from slmconvert.clustering.router import (
    NOISE,
    RouterModel,
    Subtasks,
    TaskRouter,
    vector_part,
    weighted_distance,
)

MAX_LINKED = 3000  # distinct structures merged pairwise; rarer ones join their nearest node
SAMPLE = 2000  # user turns per node for the sub-task fit
BOUND_MARGIN = 1.25


@dataclass(frozen=True)
class FitSettings:
    """What the fit needs of the cluster stage's settings, as plain values."""

    weights: dict[str, float]
    node_distance: float
    min_cluster_size: int
    min_samples: int
    dims: int
    subtask_min_share: float
    subtask_separation: float
    seed: int


def _pairwise(tools, system, workloads, w) -> np.ndarray:
    """Condensed matrix of the router's distance between distinct structures."""
    from scipy.spatial.distance import squareform

    both = (workloads[:, None] >= 0) & (workloads[None, :] >= 0)
    parts = [
        vector_part(w["tools"], tools, tools),
        vector_part(w["system"], system, system),
        (w.get("workload", 0.0), workloads[:, None] == workloads[None, :], both),
    ]
    dist = weighted_distance(parts, (len(tools), len(tools)), np.float64)
    dist = np.clip((dist + dist.T) / 2, 0, None)
    np.fill_diagonal(dist, 0)
    return squareform(dist, checks=False)


def _link(tools, system, workloads, counts, s: FitSettings) -> np.ndarray:
    """Node label of each distinct structure: the most frequent are linked, the rest wait (-1)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    labels = np.full(len(counts), -1)
    top = np.argsort(-counts, kind="stable")[:MAX_LINKED]
    if len(top) == 1:
        labels[top] = 0
        return labels
    tree = linkage(_pairwise(tools[top], system[top], workloads[top], s.weights), "average")
    labels[top] = fcluster(tree, t=s.node_distance, criterion="distance") - 1
    return labels


def _centroids(vectors: np.ndarray, labels: np.ndarray, counts: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, vectors.shape[1]), np.float32)
    np.add.at(out, labels, vectors * counts[:, None])
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _workload_shares(workloads, labels, counts, n, names) -> np.ndarray:
    shares = np.zeros((n, max(len(names), 1)), np.float32)
    known = workloads >= 0
    np.add.at(shares, (labels[known], workloads[known]), counts[known])
    shares /= np.maximum(np.linalg.norm(shares, axis=1, keepdims=True), 1e-12)
    return shares[:, : len(names)]


def fit_nodes(
    views: list[RequestView], counts: np.ndarray, router_settings: dict, embedder, s: FitSettings
) -> tuple[TaskRouter, np.ndarray]:
    """A router whose nodes are fitted on distinct structures; and each structure's node."""
    counts = np.asarray(counts, np.float64)
    probe = TaskRouter(RouterModel(router_settings, *_empty(embedder)), embedder)
    tools, system = probe.structure_vectors(views)
    names = sorted({v.workload for v in views if v.workload})
    index = {w: i for i, w in enumerate(names)}
    workloads = np.array([index.get(v.workload, -1) if v.workload else -1 for v in views])
    labels = _link(tools, system, workloads, counts, s)
    for _ in range(3):  # recentre, then give every structure to its nearest node
        kept = np.unique(labels[labels >= 0])
        labels = np.searchsorted(kept, labels).clip(0) * (labels >= 0) - (labels < 0)
        n = len(kept)
        model = RouterModel(
            settings=router_settings,
            tools=_centroids(tools[labels >= 0], labels[labels >= 0], counts[labels >= 0], n),
            system=_centroids(system[labels >= 0], labels[labels >= 0], counts[labels >= 0], n),
            workloads=names,
            workload_shares=_workload_shares(
                workloads, labels.clip(0), counts * (labels >= 0), n, names
            ),
            bounds=np.full(n, np.inf, np.float32),
            node_cluster=[0] * n,
        )
        router = TaskRouter(model, embedder)
        router._cache = probe._cache
        nearest, best = router.nodes_of(views)
        if np.array_equal(nearest, labels):
            break
        labels = nearest
    model.bounds = _bounds(labels, best, n, floor=s.node_distance / 2)
    return router, labels


def _empty(embedder):
    dim = embedder.dimension
    z = np.zeros((0, dim), np.float32)
    return z, z, [], np.zeros((0, 0), np.float32), np.zeros(0, np.float32), []


def _bounds(labels: np.ndarray, distance: np.ndarray, n: int, floor: float) -> np.ndarray:
    """Per node: the farthest of its own structures with a margin, and at least ``floor``.

    Live calls differ from logged ones (raw names where the log has placeholders, a new
    wording of the prompt), so the bound keeps half the merge distance even for a tight node:
    anything farther than that from every node was never one of them.
    """
    bounds = np.full(n, floor, np.float32)
    for node in range(n):
        d = distance[labels == node]
        if len(d):
            bounds[node] = max(floor, float(d.max()) * BOUND_MARGIN + 0.02)
    return bounds


def _split(points: np.ndarray, leaves: np.ndarray, group: list[int], s: FitSettings, floor: float):
    """Leaf groups of ``group``: split top-down while both sides are big and clearly apart."""
    from scipy.cluster.hierarchy import linkage, to_tree
    from sklearn.metrics import silhouette_score

    if len(group) < 2:
        return [group]
    centroids = np.stack([points[leaves == leaf].mean(axis=0) for leaf in group])
    root = to_tree(linkage(centroids, "average"))
    left = [group[i] for i in root.get_left().pre_order()]
    right = [group[i] for i in root.get_right().pre_order()]
    inside = np.isin(leaves, group)
    side = np.isin(leaves[inside], left)
    if min(side.sum(), (~side).sum()) < floor:
        return [group]
    if silhouette_score(points[inside], side, random_state=s.seed) < s.subtask_separation:
        return [group]
    return _split(points, leaves, left, s, floor) + _split(points, leaves, right, s, floor)


def fit_subtasks(users: list[str], size: int, embedder, s: FitSettings) -> Subtasks | None:
    """A sub-task split of one node from a sample of its user turns, or None when not clear.

    HDBSCAN finds the dense groups of requests (a wording, a document format); they are then
    joined bottom-up by their centroids and split top-down only where both sides are sizeable
    and clearly apart (silhouette >= ``subtask_separation``), so one task asked many ways stays
    one cluster.
    """
    import hdbscan
    from sklearn.decomposition import PCA

    floor = max(s.min_cluster_size * len(users) / size, s.subtask_min_share * len(users), 5)
    if len(users) < 2 * floor:
        return None
    vectors = embedder.embed(users)
    pca = PCA(n_components=min(s.dims, vectors.shape[1], len(users) - 1), random_state=s.seed)
    points = pca.fit_transform(vectors)
    leaves = hdbscan.HDBSCAN(
        min_cluster_size=max(5, math.ceil(floor / 4)), min_samples=s.min_samples,
        core_dist_n_jobs=1,
    ).fit_predict(points)  # fmt: skip
    groups = _split(points, leaves, sorted(set(leaves.tolist()) - {NOISE}), s, floor)
    if len(groups) < 2:
        return None
    centroids = np.stack([points[np.isin(leaves, g)].mean(axis=0) for g in groups])
    nearest = ((points[:, None] - centroids[None]) ** 2).sum(-1).argmin(axis=1)
    order = np.argsort(-np.bincount(nearest, minlength=len(groups)), kind="stable")
    return Subtasks(
        mean=pca.mean_.astype(np.float32),
        components=pca.components_.astype(np.float32),
        centroids=centroids[order].astype(np.float32),
        clusters=[0] * len(groups),
    )
