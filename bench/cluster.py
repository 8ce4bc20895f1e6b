"""Benchmark `cluster` on a generated agent fleet whose every call has a unique user turn.

For each size (default 100,000 and 1,000,000 calls; 45 nodes, long-tailed) and each embedder
(the default static one, distilled from all-MiniLM-L6-v2, and the MiniLM transformer itself):
`slmconvert cluster` end to end (wall time, peak RSS of this process), the saved router's
assignments per second on a batch and its p50 latency for one request, and quality against the
generator's truth. The naive way embeds every call with MiniLM and runs HDBSCAN on the raw
384-d vectors; it is measured on subsets and extrapolated (embedding linear in calls, HDBSCAN a
fitted n^k), and so is the transformer embedder at sizes marked "extrapolated". Each cluster
run has a process of its own: its peak RSS is that run's, the generator's and collect's apart.

    python bench/cluster.py                          # 100k and 1M
    python bench/cluster.py --sizes 100000 --transformer-up-to 100000
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from slmconvert.clustering.router import TaskRouter
from slmconvert.core.config import ClusterConfig
from slmconvert.core.stagedir import open_input
from slmconvert.stages import cluster, collect
from slmconvert.testing.fleet import generate_fleet

TRANSFORMER = "all-MiniLM-L6-v2"


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM): ru_maxrss would carry the parent's peak across spawn."""
    from slmconvert.testing.peak import peak_rss_bytes

    return peak_rss_bytes() / 2**20


def build(work: Path, calls: int) -> tuple[Path, list[dict], dict]:
    """A collected fleet of ``calls`` calls, plus 2,000 of its raw requests and the truth."""
    nodes = generate_fleet(work / "logs", work / "truth.jsonl", calls=calls, nodes=45, seed=3)
    collect.run([str(work / "logs")], work / "collect")
    requests = []
    with open(work / "logs" / "fleet.openai.jsonl", "rb") as fh:
        for _, line in zip(range(2000), fh, strict=False):
            logged = orjson.loads(line)
            requests.append(
                logged["request"] | {"metadata": {"workload": logged.get("workload_id")}}
            )
    return work / "collect", requests, {n.name: n.calls for n in nodes}


def quality(work: Path, out: Path, sizes: dict) -> dict:
    from sklearn.metrics import adjusted_mutual_info_score, homogeneity_score

    truth = {}
    for line in open(work / "truth.jsonl", "rb"):
        d = orjson.loads(line)
        truth[d["line"]] = (d["node"], d["subtask"])
    rows = open_input(out).read_table(columns=["source", "cluster_id"])
    lines = [s["line"] for s in rows.column("source").to_pylist()]
    label = rows.column("cluster_id").to_numpy()
    node = np.array([truth[n][0] for n in lines])
    finest = np.array([f"{truth[n][0]}/{truth[n][1]}" for n in lines])
    big = np.array([sizes[n] >= 20 for n in node])
    kept = big & (label >= 0)
    return {
        "homogeneity": homogeneity_score(node[kept], label[kept]),
        "ami": adjusted_mutual_info_score(finest[big], label[big]),
        "noise": float((label[big] < 0).mean()),
    }


def router_speed(router_dir: Path, requests: list[dict]) -> tuple[float, float]:
    router = TaskRouter.load(router_dir)
    router.assign(requests[:50])  # load the embedder, fill the structure cache
    t0 = time.perf_counter()
    router.assign(requests)
    per_second = len(requests) / (time.perf_counter() - t0)
    single = []
    for request in requests[:300]:
        t0 = time.perf_counter()
        router.assign([request])
        single.append(time.perf_counter() - t0)
    return per_second, float(np.median(single)) * 1000


def naive(work: Path, calls: int) -> dict:
    """The naive way's cost per call (embedding) and HDBSCAN's fitted growth, on subsets."""
    import hdbscan

    from slmconvert.clustering.embed import Embedder

    texts = []
    with open(work / "logs" / "fleet.openai.jsonl", "rb") as fh:
        for _, line in zip(range(400), fh, strict=False):
            msgs = orjson.loads(line)["request"]["messages"]
            texts.append("\n".join(m["content"] for m in msgs))
    embedder = Embedder(TRANSFORMER, cache_dir=None)
    embedder.embed(texts[:8])
    t0 = time.perf_counter()
    vectors = embedder.embed(texts)
    per_call = (time.perf_counter() - t0) / len(texts)
    rng = np.random.default_rng(0)
    timings = []
    for n in (2_000, 4_000):
        pts = vectors[rng.integers(0, len(vectors), n)] + rng.normal(0, 0.01, (n, vectors.shape[1]))
        t0 = time.perf_counter()
        hdbscan.HDBSCAN(min_cluster_size=20, min_samples=5, core_dist_n_jobs=1).fit(pts)
        timings.append(time.perf_counter() - t0)
    k = math.log(timings[1] / timings[0]) / math.log(2)
    return {"embed": per_call * calls, "hdbscan": timings[0] * (calls / 2_000) ** k, "k": k}


def run_one(work: Path, src: Path, embedder: str, requests, sizes) -> dict:
    """One cluster run in a fresh process, so its peak RSS is its own."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(_run_one, work, src, embedder, requests, sizes).result()


def _run_one(work: Path, src: Path, embedder: str, requests, sizes) -> dict:
    out = work / f"out-{embedder}"
    t0 = time.perf_counter()
    config = ClusterConfig(allow_unscrubbed=True, embedder=embedder, no_cache=True)  # cold
    result = cluster.run(src, out, config, force=True)
    seconds = time.perf_counter() - t0
    per_second, p50_ms = router_speed(out / "router", requests)
    return {
        "seconds": seconds,
        "rss_mb": peak_rss_mb(),
        "clusters": result.counts["clusters"],
        "per_second": per_second,
        "p50_ms": p50_ms,
        **quality(work, out, sizes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--transformer-up-to", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rows = []
    for calls in args.sizes:
        work = Path(tempfile.mkdtemp(prefix="slmconvert-bench-"))
        try:
            src, requests, sizes = build(work, calls)
            static = run_one(work, src, "static-minilm", requests, sizes)
            rows.append({"calls": calls, "embedder": "static-minilm", **static, "how": "measured"})
            if calls <= args.transformer_up_to:
                tr = run_one(work, src, TRANSFORMER, requests, sizes)
                rows.append({"calls": calls, "embedder": TRANSFORMER, **tr, "how": "measured"})
            else:
                base = next(r for r in rows if r["embedder"] == TRANSFORMER)
                scale = calls / base["calls"]
                rows.append(base | {"calls": calls, "seconds": base["seconds"] * scale,
                                    "rss_mb": None, "how": f"extrapolated x{scale:g}"})  # fmt: skip
            n = naive(work, calls)
            rows.append({"calls": calls, "embedder": "naive (MiniLM, raw HDBSCAN)",
                         "seconds": n["embed"] + n["hdbscan"], "how": f"extrapolated, n^{n['k']:.2f}"})  # fmt: skip
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


def table(rows: list[dict]) -> str:
    def f(value, spec):
        return "—" if value is None else format(value, spec)

    lines = [
        "| calls | embedder | cluster s | peak RSS MB | clusters | homogeneity | AMI | noise "
        "| router calls/s | router p50 ms | vs naive | how |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    naive_s = {r["calls"]: r["seconds"] for r in rows if r["embedder"].startswith("naive")}
    for r in rows:
        ratio = (
            naive_s[r["calls"]] / r["seconds"] if not r["embedder"].startswith("naive") else None
        )
        lines.append(
            f"| {r['calls']:,} | {r['embedder']} | {r['seconds']:,.0f} | {f(r.get('rss_mb'), ',.0f')} "
            f"| {f(r.get('clusters'), 'd')} | {f(r.get('homogeneity'), '.3f')} | {f(r.get('ami'), '.3f')} "
            f"| {f(r.get('noise'), '.1%')} | {f(r.get('per_second'), ',.0f')} | {f(r.get('p50_ms'), '.2f')} "
            f"| {f(ratio, ',.1f')}x | {r['how']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
