"""Scale: a generated fleet through collect → pii → cluster, local engine against Ray.

For each size (default 100,000 calls; a 45-node fleet, every call with a unique user turn), each
stage runs in a process of its own, so its peak RSS is its own: collect, pii and cluster each
on the local engine and with ``--engine ray`` on a local Ray with the same CPUs (Ray's start
and scheduling overhead included, reported as it is). It prints, and writes to ``--out``, wall
time, records/s and peak RSS per stage and engine, and a projection to N machines from each
stage's measured Ray throughput.

    python bench/scale.py                          # 100k
    python bench/scale.py --sizes 100000 1000000   # slower: pii is ~13 min per million here
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGE = """
import json, resource, sys, time
from slmconvert.core.config import ClusterConfig, CollectConfig, PiiConfig
from slmconvert.stages import cluster, collect, pii
from slmconvert.testing.peak import peak_rss_bytes
name, source, out, engine = sys.argv[1:5]
unscrubbed = engine.endswith("unscrubbed")  # cluster on collect's output
engine = "ray" if engine.startswith("ray") else "local"
start = time.perf_counter()
if name == "collect":
    result = collect.run([source], out, CollectConfig(engine=engine))
elif name == "pii":
    result = pii.run(source, out, PiiConfig(engine=engine))
else:
    result = cluster.run(source, out, ClusterConfig(engine=engine, allow_unscrubbed=unscrubbed))
print(json.dumps({"wall_s": time.perf_counter() - start, "counts": result.counts,
                  "rss_mb": peak_rss_bytes() / 2**20,
                  "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def stage(name: str, source: Path, out: Path, engine: str = "local") -> dict:
    """One stage in a fresh process: wall time, counts and peak RSS (its own and its workers')."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
    run = subprocess.run(
        [sys.executable, "-c", STAGE, name, str(source), str(out), engine],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if run.returncode:
        raise SystemExit(f"{name} ({engine}) failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


BUDGET_MB = {"collect": 2048, "pii": 2048, "cluster": 4096}
"""The peak RSS each stage is held to, whatever the input's size."""


def one_size(calls: int, work: Path, with_pii: bool = True) -> list[dict]:
    """Every stage and engine at ``calls`` calls (without pii, cluster reads collect's output)."""
    from slmconvert.testing.fleet import generate_fleet

    generate_fleet(work / "logs", work / "truth.jsonl", calls=calls, nodes=45, seed=3)
    rows = []
    runs = [
        ("collect", work / "logs", work / "collect", "local"),
        ("collect", work / "logs", work / "collect-ray", "ray"),
    ]
    if with_pii:
        runs += [
            ("pii", work / "collect", work / "pii", "local"),
            ("pii", work / "collect", work / "pii-ray", "ray"),
            ("cluster", work / "pii", work / "cluster", "local"),
            ("cluster", work / "pii", work / "cluster-ray", "ray"),
        ]
    else:
        runs += [
            ("cluster", work / "collect", work / "cluster", "unscrubbed"),
            ("cluster", work / "collect", work / "cluster-ray", "ray, unscrubbed"),
        ]
    for name, source, out, engine in runs:
        got = stage(name, source, out, engine)
        records = got["counts"].get("records") or got["counts"].get("records_in") or calls
        rows.append({"calls": calls, "stage": name, "engine": engine, "wall_s": got["wall_s"],
                     "records_per_s": records / got["wall_s"],
                     "peak_rss_mb": max(got["rss_mb"], got["children_rss_mb"])})  # fmt: skip
    return rows


def projection(rows: list[dict], machines: tuple[int, ...] = (1, 4, 16)) -> list[str]:
    """pii on N machines like this one, from the Ray run's measured throughput (linear: each
    machine adds its cores; the driver's de-duplication and writing measured as the rest).
    collect and cluster are not projected: their driver's share (de-duplication and writing;
    reading the calls, the fit and writing) does not shrink with more machines."""
    ray = [r for r in rows if r["stage"] == "pii" and r["engine"] == "ray"]
    if not ray:
        return []
    row = max(ray, key=lambda r: r["calls"])  # the longest run: start-up weighs least
    lines = [
        f"From the Ray pii run at {row['calls']:,} calls ({row['records_per_s']:,.0f} records/s):"
    ]
    for n in machines:
        minutes = 10_000_000 / (row["records_per_s"] * n) / 60
        lines.append(f"- pii, 10 M records on {n} machine(s) like this one: ~{minutes:,.0f} min")
    return lines


def main() -> None:
    """Run every size, print the table, write it to --out."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument(
        "--pii-up-to",
        type=int,
        default=None,
        help="run pii only up to this size; above it cluster reads collect's output",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.md")
    args = ap.parse_args()
    rows = []
    for calls in args.sizes:
        with tempfile.TemporaryDirectory(dir=ROOT / "work") as tmp:
            with_pii = args.pii_up_to is None or calls <= args.pii_up_to
            rows += one_size(calls, Path(tmp), with_pii)
            print(rows[-1], flush=True)
    text = render(rows, args)
    args.out.write_text(text + "\n")
    print(text)


def render(rows: list[dict], args) -> str:
    """The run's Markdown: how it was run, the table, the projection."""
    header = (
        f"| calls | stage | engine | wall s | records/s | peak RSS MB | budget MB |\n|{'---|' * 7}"
    )
    table = [header] + [
        f"| {r['calls']:,} | {r['stage']} | {r['engine']} | {r['wall_s']:.1f} | "
        f"{r['records_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} | "
        f"{BUDGET_MB[r['stage']]:,}{'' if r['peak_rss_mb'] <= BUDGET_MB[r['stage']] else ' OVER'} |"
        for r in rows
    ]
    pii_up_to = "" if args.pii_up_to is None else f" --pii-up-to {args.pii_up_to}"
    return "\n".join(
        [
            "# bench/scale.py — collect → pii → cluster, local engine and Ray",
            "",
            f"Run: `python bench/scale.py --sizes {' '.join(map(str, args.sizes))}{pii_up_to}`, "
            f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs; Ray is a local Ray on the "
            "same CPUs (its start, about 3 s, included). Peak RSS is the larger of the stage's "
            "process and its largest worker process; Ray's actors are not the driver's "
            "children, so the Ray row's RSS is the driver's alone. Engine `unscrubbed`: cluster "
            "on collect's output (pii not run at that size: --pii-up-to).",
            "",
            *table,
            "",
            *projection(rows),
        ]
    )


if __name__ == "__main__":
    main()
