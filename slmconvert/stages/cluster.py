"""`cluster`: the agent fleet's task types, known from the request alone, and the router for them.

Calls are read once in Arrow batches into compact arrays; a `TaskRouter` is fitted on them
(agent nodes by structure, then sub-tasks within a node: `slmconvert.clustering.fit`) and every
record is labelled by that router, so the offline labels are the ones the gateway will compute
when the call arrives. OUT holds the records with ``cluster_id`` and a seeded per-cluster
``split``, ``router/`` (everything assignment needs, nothing cached), ``clusters.json`` (who is
who, for people), ``centroids.npy`` (for the report's map) and ``clusters.png``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from slmconvert.clustering.calls import Calls, read_calls
from slmconvert.clustering.embed import default_cache_dir, is_static, load_embedder
from slmconvert.clustering.fit import SAMPLE, FitSettings, fit_nodes, fit_subtasks
from slmconvert.clustering.ids import stable_ids
from slmconvert.clustering.profile import NOISE, gist, plot, present, profiles
from slmconvert.clustering.router import TaskRouter
from slmconvert.clustering.sampling import smallest_hashes
from slmconvert.clustering.spill import take
from slmconvert.core.config import ClusterConfig, plain
from slmconvert.core.errors import StageError
from slmconvert.core.progress import NoProgress, Progress
from slmconvert.core.stagedir import StageOutput, StageResult, open_input

PACKAGES = ("model2vec", "sentence-transformers", "hdbscan", "scikit-learn", "scipy", "torch")
ALGORITHM = 2  # v2: request-time signature, fleet nodes then sub-tasks, router/


def assign_splits(
    order: np.ndarray, labels: np.ndarray, config: ClusterConfig, examples: int = 5
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """A seeded train/eval split per cluster, independent of record order (True = eval), and
    the positions of each cluster's ``examples`` smallest ids: members in the order of their
    ids (``order``: positions in ascending id order)."""
    is_eval = np.zeros(len(labels), bool)
    first: dict[int, np.ndarray] = {}
    ranked = labels[order]
    for cid in present(labels):
        members = order[ranked == cid]
        if cid != NOISE:
            first[cid] = members[:examples]
        n = len(members)
        if n < 2:
            continue
        n_eval = min(max(round(config.eval_share * n), config.min_eval), config.max_eval, n - 1)
        rng = np.random.default_rng([config.seed, cid + 1])
        is_eval[members[rng.permutation(n)[:n_eval]]] = True
    return is_eval, first


def fit_settings(config: ClusterConfig) -> FitSettings:
    """The fit's plain settings from the stage's."""
    return plain(FitSettings, config, weights=config.node_weights())


def router_settings(config: ClusterConfig) -> dict:
    """What a router must know to compute a call's signature as the fit did."""
    kind = "static" if is_static(config.embedder) else "sentence-transformers"
    return {
        "signature": config.signature,
        "signature_chars": config.signature_chars,
        "normalisation": "volatile values (numbers, ids, dates, emails, URLs, pii placeholders) → #",
        "weights": config.node_weights(),
        "embedder": {"kind": kind, "model": config.embedder},
    }


def fit(calls: Calls, config: ClusterConfig, embedder) -> tuple[TaskRouter, np.ndarray]:
    """A fitted router with provisional cluster ids, and each call's provisional label."""
    settings = fit_settings(config)
    router, structure_node = fit_nodes(
        calls.structures, calls.counts(), router_settings(config), embedder, settings
    )
    node = structure_node.astype(np.int32)[calls.structure]
    sizes = np.bincount(node, minlength=len(router.model.bounds))
    samples = _node_samples(calls, node, sizes, config)
    next_id, node_cluster = 0, []
    for n, size in enumerate(sizes):
        split = None
        if samples[n] is not None:
            split = fit_subtasks(take(calls.users, samples[n]), int(size), embedder, settings)
        if split is not None:
            split.clusters = list(range(next_id, next_id + len(split.centroids)))
            router.model.subtasks[n] = split
            next_id += len(split.centroids)
            node_cluster.append(NOISE)
        elif size >= config.min_cluster_size:
            node_cluster.append(next_id)
            next_id += 1
        else:
            node_cluster.append(NOISE)
    router.model.node_cluster = node_cluster
    return router, router.label_nodes(node, calls.users)


def _node_samples(calls: Calls, node: np.ndarray, sizes: np.ndarray, config: ClusterConfig):
    """Per node, the calls whose user turns its sub-task fit sees (None: no sub-task fit)."""
    big = ("user" in config.signature) & (sizes >= 2 * config.min_cluster_size)
    if not big.any():
        return [None] * len(sizes)
    groups = np.where(big, np.arange(len(sizes)), -1).astype(np.int32)
    found = smallest_hashes(calls.ids, config.seed, SAMPLE, groups[node], len(sizes))
    return [found[n] if big[n] else None for n in range(len(sizes))]


def describe_nodes(router: TaskRouter, calls: Calls, labels: np.ndarray) -> dict[int, dict]:
    """Per cluster: its node's most offered tools and the gist of its system prompt."""
    out = {}
    for cid in (c for c in present(labels) if c != NOISE):
        structures = np.bincount(calls.structure[labels == cid], minlength=len(calls.structures))
        tools: dict[str, int] = {}
        for s in np.flatnonzero(structures):
            for name in calls.structures[s].tool_names:
                tools[name] = tools.get(name, 0) + int(structures[s])
        top = calls.structures[int(structures.argmax())]
        out[cid] = {
            "tools": sorted(tools, key=lambda t: (-tools[t], t)),  # every tool offered
            "gist": gist(top.system),
            "workload": top.workload,
        }
    return out


def centroids_of(router: TaskRouter, calls: Calls, labels: np.ndarray) -> dict[int, np.ndarray]:
    """A vector per cluster for the report's map: its node's structure, plus its sub-task."""
    out, m = {}, router.model
    node_of = {c: n for n, c in enumerate(m.node_cluster) if c != NOISE}
    for n, split in m.subtasks.items():
        for k, c in enumerate(split.clusters):
            node_of[c] = n
            user = split.mean + split.centroids[k] @ split.components
            out[c] = np.concatenate([m.tools[n], m.system[n], 0.5 * user])
    dim = m.tools.shape[1]
    for c, n in node_of.items():
        vec = out.get(c, np.concatenate([m.tools[n], m.system[n], np.zeros(dim)]))
        out[c] = vec / max(float(np.linalg.norm(vec)), 1e-12)
    return out


def run(
    input_dir: str | Path,
    output: str | Path,
    config: ClusterConfig | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
    log=None,
) -> StageResult:
    """Cluster the records of a pii (or collect) stage directory into the fleet's task types
    (``log(line)`` gets notes, such as the Ray address in use)."""
    config = config or ClusterConfig()
    progress = progress or NoProgress()
    src = open_input(
        input_dir, expect=("collect", "pii"), require_pii=True,
        allow_unscrubbed=config.allow_unscrubbed,
    )  # fmt: skip
    previous = TaskRouter.load(Path(config.previous) / "router") if config.previous else None
    parent = Path(output).resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cluster-spill-", dir=parent) as spill:
        progress.start("reading calls")
        calls = read_calls(src.data_files(), config.signature_chars, spill)
        progress.finish()
        if not len(calls):
            raise StageError(f"{src.path}: holds no records to cluster")
        return _cluster(src, output, config, calls, previous, force, progress, log)


def _cluster(src, output, config, calls: Calls, previous, force, progress, log) -> StageResult:
    """Fit the router on the read calls, give clusters stable ids, and write the stage."""
    cache = None if config.no_cache else Path(config.cache_dir or default_cache_dir())
    embedder = load_embedder(config.embedder, cache_dir=cache, batch_size=config.batch_size)
    if config.engine == "ray":
        embedder = _on_ray(embedder, cache, config, log)
    progress.start(f"fitting nodes and sub-tasks on {len(calls):,} calls")
    router, provisional = fit(calls, config, embedder)
    progress.finish()
    mapping, lineage = stable_ids(provisional, calls, previous, config.min_cluster_size)
    router.relabel(mapping)
    table = np.full(int(provisional.max(initial=NOISE)) + 2, NOISE, np.int32)
    for c, final in mapping.items():
        table[c + 1] = final
    labels = table[provisional + 1]  # provisional NOISE (-1) -> table[0], NOISE
    del provisional
    return _write(src, output, config, calls, router, labels, lineage, force)


def _on_ray(embedder, cache: Path | None, config: ClusterConfig, log):
    """The embedder with its large batches on Ray actors (the address in use is logged)."""
    import os

    from slmconvert.scale import ray_engine

    address = ray_engine.connect(config.ray_address)
    if log:
        log(f"Ray at {address}; user turns travel to its embedding actors")
    actors = config.workers or os.cpu_count() or 1
    return ray_engine.RayEmbedder(embedder, cache, actors, chunk=64 * config.batch_size)


def _agreement(router: TaskRouter, calls: Calls, labels: np.ndarray, seed: int) -> float:
    """Share of a sample of the fitted calls that the saved router labels as the stage did."""
    from slmconvert.clustering.request import RequestView

    sample = smallest_hashes(calls.ids, seed + 1, 2000)[0]
    views = []
    for i, user in zip(sample, take(calls.users, sample), strict=True):
        s = calls.structures[calls.structure[i]]
        views.append(RequestView(s.tools, s.system, user, s.workload))
    return float((router.assign_views(views) == labels[sample]).mean())


def _write(src, output, config, calls, router, labels, lineage, force) -> StageResult:
    is_eval, first = assign_splits(calls.ids.sort_order(), labels, config)
    examples = {cid: take(calls.ids, positions) for cid, positions in first.items()}
    clusters, noise = profiles(
        calls, labels, describe_nodes(router, calls, labels),
        centroids_of(router, calls, labels), examples, seed=config.seed,
    )  # fmt: skip
    router.model.clusters = [  # what the gateway checks an SLM's tool calls against
        {"id": c["id"], "label": c["label"], "tools": c["node"]["tools"]} for c in clusters
    ]
    with StageOutput(
        output, "cluster", config.model_dump(), inputs=[src.as_input_entry()],
        lineage=src.lineage, force=force, seed=config.seed, packages=PACKAGES,
        algorithm=ALGORITHM,
    ) as out:  # fmt: skip
        _write_records(out, src, labels, is_eval)
        router.save(out.path / "router")
        doc = {"router": "router/", "algorithm": ALGORITHM, "clusters": clusters, "noise": noise}
        doc["lineage"] = lineage
        (out.path / "clusters.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        if clusters:
            vectors = np.array([c["centroid"] for c in clusters], np.float32)
            np.save(out.path / "centroids.npy", vectors)
        _plot(out.path / "clusters.png", router, calls, labels, clusters)
        agreement = _agreement(TaskRouter.load(out.path / "router"), calls, labels, config.seed)
        out.counts = {
            "records": len(calls),
            "distinct_structures": len(calls.structures),
            "nodes": len(router.model.bounds),
            "clusters": len(clusters),
            "noise": noise["size"],
            "train": int((~is_eval).sum()),
            "eval": int(is_eval.sum()),
        }
        out.metrics = {
            "noise_share": noise["share"],
            "noise_cost_share": noise["cost_share"],
            "router_agreement": round(agreement, 4),
            "embeddings_computed": embedder_count(router),
        }
        if config.engine == "ray":
            out.metrics["embedded_on_ray"] = int(router.embedder.on_actors)
        if src.manifest.get("allow_unscrubbed") or not src.has_stage("pii"):
            out.extra["allow_unscrubbed"] = True
            out.warnings.append("input has not been through `slmconvert pii` (--allow-unscrubbed)")
        if not clusters:
            out.warnings.append("no clusters found: every call stays on the LLM")
        if lineage.get("new") or lineage.get("gone"):
            out.extra["cluster_ids"] = lineage
    return StageResult(out.out, out.manifest)


def embedder_count(router: TaskRouter) -> int:
    return int(getattr(router.embedder, "computed", 0))


def _write_records(out: StageOutput, src, labels: np.ndarray, is_eval: np.ndarray) -> None:
    """The input records with their cluster and split, batch by batch."""
    start, writer = 0, out.records()
    for path in src.data_files():
        for batch in pq.ParquetFile(path).iter_batches(batch_size=20_000):
            table = pa.Table.from_batches([batch])
            end = start + table.num_rows
            table = table.set_column(
                table.schema.get_field_index("cluster_id"), "cluster_id",
                pa.array(labels[start:end], pa.int32()),
            )  # fmt: skip
            split = np.where(is_eval[start:end], "eval", "train")
            table = table.set_column(
                table.schema.get_field_index("split"), "split", pa.array(split, pa.string())
            )
            writer.write_table(table)
            start = end


def _plot(path: Path, router: TaskRouter, calls: Calls, labels: np.ndarray, clusters) -> None:
    """The calls' structure vectors in 2-D, coloured by cluster (a sample on big inputs)."""
    sample = np.sort(smallest_hashes(calls.ids, 7, 5000)[0])
    tools, system = router.structure_vectors([calls.structures[calls.structure[i]] for i in sample])
    users = router.embedder.embed(take(calls.users, sample))
    points = np.hstack([tools, system, 0.5 * users])
    plot(path, points, labels[sample], {c["id"]: c["label"] for c in clusters})
