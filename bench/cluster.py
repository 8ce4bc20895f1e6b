"""Benchmark `cluster` against the naive way on 100,000 calls with about 5,000 distinct signatures.

Naive way: embed every call's signature text (no dedup, no cache), then HDBSCAN on the raw
384-d embeddings. It is far too slow to run on 100,000 calls here, so it is measured on subsets
and extrapolated (embedding: linear in calls; HDBSCAN: fitted n^k from two subset sizes); the
table says which figures are measured. Ours: `slmconvert cluster` end to end, cold cache, then
warm cache.

    python bench/cluster.py                 # 100,000 calls
    python bench/cluster.py --calls 20000
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from slmconvert.config import ClusterConfig
from slmconvert.stagedir import StageOutput, open_input
from slmconvert.stages import cluster, collect
from slmconvert.testing import traffic


def build_input(work: Path, calls: int, distinct_calls: int) -> Path:
    """A collect-stage directory of ``calls`` records over ~``distinct_calls`` signatures."""
    traffic.generate(work / "logs", work / "truth.jsonl", calls=distinct_calls, seed=1)
    collect.run([str(work / "logs")], work / "base")
    base = open_input(work / "base").read_table().to_pylist()
    rows = []
    for i in range(calls):
        rec = dict(base[i % len(base)])
        if i >= len(base):  # the same call logged again later: same signature, new id
            rec["id"] = f"{rec['id'][:24]}{i:08x}"
            rec["timestamp"] = None
        rows.append(rec)
    with StageOutput(work / "input", "collect", {"bench": True}) as out:
        out.records().write_table(
            pa.Table.from_pylist(rows, schema=open_input(work / "base").read_table().schema)
        )
    return work / "input"


def naive_times(records: list[dict], sample_embed: int, sizes: tuple[int, int]) -> dict:
    import hdbscan

    from slmconvert.clustering.embed import Embedder
    from slmconvert.clustering.signature import signature

    texts = [signature(r) for r in records[:sample_embed]]
    embedder = Embedder(cache_dir=None)
    embedder._load()
    t0 = time.perf_counter()
    vectors = embedder.embed(texts)
    per_call = (time.perf_counter() - t0) / len(texts)
    rng = np.random.default_rng(0)
    timings = []
    for n in sizes:
        pts = vectors[rng.integers(0, len(vectors), n)] + rng.normal(0, 0.01, (n, vectors.shape[1]))
        t0 = time.perf_counter()
        hdbscan.HDBSCAN(min_cluster_size=max(5, n // 50), min_samples=5, core_dist_n_jobs=1).fit(
            pts
        )
        timings.append(time.perf_counter() - t0)
    exponent = math.log(timings[1] / timings[0]) / math.log(sizes[1] / sizes[0])
    return {"per_call": per_call, "hdbscan": list(zip(sizes, timings, strict=True)), "k": exponent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=5_400, help="generated calls to repeat")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="slmconvert-bench-"))
    try:
        src = build_input(work, args.calls, args.distinct)
        config = ClusterConfig(allow_unscrubbed=True, cache_dir=str(work / "cache"))
        t0 = time.perf_counter()
        cold = cluster.run(src, work / "out", config)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cluster.run(src, work / "out", config, force=True)
        warm_s = time.perf_counter() - t0

        records = open_input(src).read_table().to_pylist()
        naive = naive_times(records, sample_embed=300, sizes=(2_000, 4_000))
        embed_all = naive["per_call"] * args.calls
        (n1, t1), _ = naive["hdbscan"]
        hdb_all = t1 * (args.calls / n1) ** naive["k"]
        naive_total = embed_all + hdb_all

        counts = cold.counts
        print(
            f"\n{args.calls:,} calls, {counts['distinct_signatures']:,} distinct signatures, "
            f"{counts['clusters']} clusters, noise {cold.metrics['noise_share']:.1%}\n"
        )
        print(f"{'way':<58} {'seconds':>9}")
        print(f"{'naive: embed every call (measured on 300, x calls)':<58} {embed_all:>9,.0f}")
        hdb_label = f"naive: HDBSCAN raw 384-d (measured 2k/4k, n^{naive['k']:.2f})"
        print(f"{hdb_label:<58} {hdb_all:>9,.0f}")
        print(f"{'naive total (extrapolated)':<58} {naive_total:>9,.0f}")
        print(f"{'slmconvert cluster, cold cache (measured)':<58} {cold_s:>9,.1f}")
        print(f"{'slmconvert cluster, warm cache (measured)':<58} {warm_s:>9,.1f}")
        print(f"\nspeed-up, cold: {naive_total / cold_s:,.0f}x  (target >= 10x, and < 120 s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
