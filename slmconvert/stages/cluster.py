"""`cluster`: find the agent's recurring task types (signature embeddings → PCA → HDBSCAN).

Each distinct task signature is embedded once (with a disk cache), reduced, and clustered; every
record gets its signature's ``cluster_id`` (-1 = noise, stays on the LLM) and a seeded,
per-cluster ``split`` so training never sees the calls it is judged on. Distinct signatures are
processed in hash order, so the result does not depend on the input's order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

from slmconvert.clustering.embed import Embedder, default_cache_dir, text_key
from slmconvert.clustering.profile import NOISE, plot, profiles
from slmconvert.clustering.signature import signature_parts
from slmconvert.config import ClusterConfig
from slmconvert.errors import MissingDependencyError, StageError
from slmconvert.progress import NoProgress, Progress
from slmconvert.stagedir import StageOutput, StageResult, open_input

PACKAGES = ("sentence-transformers", "hdbscan", "scikit-learn", "torch")


def part_weights(parts: tuple[str, ...], weights: dict[str, float]) -> np.ndarray:
    """Per-part scale factors whose squares sum to 1, so signature vectors have unit length."""
    raw = np.array([float(weights.get(p, 1.0)) for p in parts])
    return raw / np.sqrt((raw**2).sum())


def embed_signatures(
    embedder: Embedder, signatures: list[list[str]], scale: np.ndarray
) -> np.ndarray:
    """Unit vectors for signatures given as part texts.

    Each distinct part text is embedded once; a signature is its part vectors, each multiplied
    by its ``scale``, concatenated. The cosine of two signatures is then the weighted mean of
    their parts' cosines.
    """
    texts = sorted({text for parts in signatures for text in parts})
    row = {text: i for i, text in enumerate(texts)}
    part_vectors = embedder.embed(texts)
    index = np.array([[row[t] for t in parts] for parts in signatures], dtype=np.int64)
    stacked = part_vectors[index] * scale[None, :, None]  # (signatures, parts, dim)
    return stacked.reshape(len(signatures), -1).astype(np.float32)


def reduce(vectors: np.ndarray, config: ClusterConfig) -> np.ndarray:
    """Reduce embeddings to ``config.dims`` dimensions (PCA by default) before HDBSCAN."""
    dims = min(config.dims, vectors.shape[1], max(len(vectors) - 1, 1))
    if config.reduce == "none" or len(vectors) <= dims:
        return vectors
    if config.reduce == "umap":
        try:
            import umap
        except ImportError:
            raise MissingDependencyError("umap-learn", "--reduce umap") from None
        return umap.UMAP(n_components=dims, random_state=config.seed).fit_transform(vectors)
    from sklearn.decomposition import PCA

    # eigh of the feature covariance: exact, deterministic, and far faster than a full SVD
    solver = "covariance_eigh" if vectors.shape[1] <= 4096 else "randomized"
    pca = PCA(n_components=dims, svd_solver=solver, random_state=config.seed)
    return pca.fit_transform(vectors)


def find_clusters(points: np.ndarray, config: ClusterConfig) -> np.ndarray:
    """HDBSCAN labels for ``points`` (-1 for noise)."""
    import hdbscan

    size = config.min_cluster_size or max(5, round(0.02 * len(points)))
    if len(points) < max(size, 2):
        return np.full(len(points), NOISE)
    model = hdbscan.HDBSCAN(
        min_cluster_size=size, min_samples=config.min_samples, core_dist_n_jobs=1
    )
    return model.fit_predict(points)


def _renumber(labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cluster ids ordered by traffic (largest first), so ids are stable and meaningful."""
    sizes = {int(c): int(weights[labels == c].sum()) for c in set(labels.tolist()) if c != NOISE}
    order = sorted(sizes, key=lambda c: (-sizes[c], int(np.flatnonzero(labels == c)[0])))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(int(c), NOISE) for c in labels])


def _assign_noise(
    labels: np.ndarray, vectors: np.ndarray, bound: float
) -> tuple[np.ndarray, np.ndarray]:
    """Give noise points to the nearest centroid within cosine distance ``bound``."""
    ids = sorted(set(labels.tolist()) - {NOISE})
    noise = np.flatnonzero(labels == NOISE)
    assigned = np.zeros(len(labels), dtype=bool)
    if not ids or not len(noise):
        return labels, assigned
    centroids = np.stack([vectors[labels == c].mean(axis=0) for c in ids])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    distance = 1.0 - vectors[noise] @ centroids.T
    nearest = distance.argmin(axis=1)
    ok = distance[np.arange(len(noise)), nearest] <= bound
    out = labels.copy()
    out[noise[ok]] = np.array(ids)[nearest[ok]]
    assigned[noise[ok]] = True
    return out, assigned


def assign_splits(ids: list[str], labels: np.ndarray, config: ClusterConfig) -> list[str]:
    """A seeded train/eval split per cluster, independent of record order."""
    split = ["train"] * len(ids)
    for cid in sorted(set(labels.tolist())):
        members = sorted(np.flatnonzero(labels == cid).tolist(), key=lambda i: ids[i])
        n = len(members)
        if n < 2:
            continue
        n_eval = min(max(round(config.eval_share * n), config.min_eval), config.max_eval, n - 1)
        rng = np.random.default_rng([config.seed, cid + 1])
        for i in rng.permutation(n)[:n_eval]:
            split[members[i]] = "eval"
    return split


def run(
    input_dir: str | Path,
    output: str | Path,
    config: ClusterConfig | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> StageResult:
    """Cluster the records of a pii (or collect) stage directory into task types."""
    config = config or ClusterConfig()
    progress = progress or NoProgress()
    src = open_input(
        input_dir,
        expect=("collect", "pii"),
        require_pii=True,
        allow_unscrubbed=config.allow_unscrubbed,
    )
    table = src.read_table()
    records = table.to_pylist()
    if not records:
        raise StageError(f"{src.path}: holds no records to cluster")

    parts = tuple(config.signature)
    part_texts = [signature_parts(r, parts, config.signature_chars) for r in records]
    keys = [text_key("\n".join(p)) for p in part_texts]
    distinct = dict(zip(keys, part_texts, strict=True))
    order = sorted(distinct)
    position = {k: i for i, k in enumerate(order)}
    of_record = np.array([position[k] for k in keys])
    weights = np.bincount(of_record, minlength=len(order))

    cache = None if config.no_cache else Path(config.cache_dir or default_cache_dir())
    embedder = Embedder(config.embedder, cache_dir=cache, batch_size=config.batch_size)
    progress.start(f"embedding {len(order):,} distinct signatures")
    scale = part_weights(parts, config.signature_weights)
    vectors = embed_signatures(embedder, [distinct[k] for k in order], scale)
    progress.finish()
    points = reduce(vectors, config)
    labels = _renumber(find_clusters(points, config), weights)
    assigned = np.zeros(len(labels), dtype=bool)
    if config.assign_noise:
        labels, assigned = _assign_noise(labels, vectors, config.noise_max_distance)

    record_labels = labels[of_record]
    ids = [r["id"] for r in records]
    splits = assign_splits(ids, record_labels, config)
    clusters, noise = profiles(records, record_labels, vectors[of_record])

    with StageOutput(
        output,
        "cluster",
        config.model_dump(),
        inputs=[src.as_input_entry()],
        lineage=src.lineage,
        force=force,
        seed=config.seed,
        packages=PACKAGES,
    ) as out:
        table = table.set_column(
            table.schema.get_field_index("cluster_id"),
            "cluster_id",
            pa.array(record_labels.tolist(), pa.int32()),
        )
        table = table.set_column(
            table.schema.get_field_index("split"), "split", pa.array(splits, pa.string())
        )
        out.records().write_table(table)
        embedder_info = {
            "model": config.embedder,
            "dimension": int(vectors.shape[1]),
            "signature_weights": dict(zip(parts, scale.round(6).tolist(), strict=True)),
            "combine": "concatenate each part's unit vector times its weight",
            "signature": config.signature,
            "signature_chars": config.signature_chars,
            "noise_max_distance": config.noise_max_distance,
        }
        (out.path / "clusters.json").write_bytes(
            orjson.dumps(
                {"embedder": embedder_info, "clusters": clusters, "noise": noise},
                option=orjson.OPT_INDENT_2,
            )
        )
        if clusters:
            np.save(
                out.path / "centroids.npy", np.array([c["centroid"] for c in clusters], np.float32)
            )
        plot(
            out.path / "clusters.png",
            points[of_record],
            record_labels,
            {c["id"]: c["label"] for c in clusters},
        )
        out.counts = {
            "records": len(records),
            "distinct_signatures": len(order),
            "clusters": len(clusters),
            "noise": noise["size"],
            "noise_assigned": int(weights[assigned].sum()),
            "train": splits.count("train"),
            "eval": splits.count("eval"),
        }
        out.metrics = {
            "noise_share": noise["share"],
            "embeddings_computed": embedder.computed,
            "embeddings_cached": embedder.hits,
        }
        if src.manifest.get("allow_unscrubbed") or not src.has_stage("pii"):
            out.extra["allow_unscrubbed"] = True
            out.warnings.append("input has not been through `slmconvert pii` (--allow-unscrubbed)")
        if not clusters:
            out.warnings.append("no clusters found: every call stays on the LLM")
    return StageResult(out.out, out.manifest)
