"""Benchmark `collect` against the naive way on generated agent logs.

Naive way: ``json.loads`` per line into a pandas DataFrame, then a per-row ``apply`` that runs the
same format detection and normalisation slmconvert uses (so the comparison measures the
framework around the parsers, not different parsing rules). Ours: ``slmconvert collect``.
Each runs in its own process; peak RSS is sampled over the whole process tree.

    python bench/collect.py                  # 200,000 calls, plus a >= 1 GB input for memory
    python bench/collect.py --calls 20000 --rss-gb 0
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

NAIVE = r"""
import gzip, json, sys
from pathlib import Path
import pandas as pd
from slmconvert.formats import detect
from slmconvert.formats.registry import ParseContext

rows = []
for path in sorted(Path(sys.argv[1]).glob("*.jsonl*")):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        for line in fh:
            rows.append(json.loads(line))
df = pd.DataFrame({"raw": rows})

def normalise(row):
    parser = detect(row["raw"])
    return list(parser.parse(row["raw"], ParseContext(parser.name, "f", 0)))

df["records"] = df.apply(normalise, axis=1)
print(int(df["records"].map(len).sum()))
"""


def measure(cmd: list[str]) -> tuple[float, float, float, str]:
    """Run ``cmd``; return (seconds, peak RSS and peak PSS of its process tree in MB, stdout).

    PSS splits pages shared between processes (forked workers share the parent's libraries), so
    it is the fair sum for a process tree; RSS counts shared pages once per process.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak = peak_pss = 0
    while proc.poll() is None:
        try:
            tree = [p for p in [root, *root.children(recursive=True)] if p.is_running()]
            mem = [p.memory_full_info() for p in tree]
            peak = max(peak, sum(m.rss for m in mem))
            peak_pss = max(peak_pss, sum(m.pss for m in mem))
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return seconds, peak / 1e6, peak_pss / 1e6, out


def generate(dest: Path, calls: int, seed: int) -> int:
    from slmconvert.testing import traffic

    dest.mkdir(parents=True, exist_ok=True)
    traffic.generate(
        dest, dest.parent / f"{dest.name}-truth.jsonl", calls=calls, seed=seed, compress=False
    )
    return sum(p.stat().st_size for p in dest.iterdir())


def collect_cmd(logs: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "slmconvert", "collect", str(logs), "-o", str(out), "--force"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000, help="calls in the throughput log")
    parser.add_argument(
        "--rss-gb", type=float, default=1.0, help="size of the memory log (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="slmconvert-bench-"))
    try:
        t0 = time.perf_counter()
        size = generate(work / "logs", args.calls, args.seed)
        print(
            f"generated {args.calls:,} calls, {size / 1e6:,.0f} MB in {time.perf_counter() - t0:.0f} s"
        )

        ours_s, ours_mb, ours_pss, _ = measure(collect_cmd(work / "logs", work / "out"))
        from slmconvert.stagedir import open_input

        records = open_input(work / "out").manifest["counts"]["records"]
        naive_s, naive_mb, naive_pss, naive_out = measure(
            [sys.executable, "-c", NAIVE, str(work / "logs")]
        )
        naive_rate = int(naive_out.strip()) / naive_s
        rows = [
            ("naive (json + pandas apply)", naive_s, naive_rate, naive_mb, naive_pss),
            ("slmconvert collect", ours_s, records / ours_s, ours_mb, ours_pss),
        ]
        if args.rss_gb > 0:
            big_calls = int(args.calls * args.rss_gb * 1e9 / size) + 1
            big = generate(work / "big", big_calls, args.seed + 1)
            big_s, big_mb, big_pss, _ = measure(collect_cmd(work / "big", work / "big-out"))
            big_records = open_input(work / "big-out").manifest["counts"]["records"]
            label = f"slmconvert collect, {big / 1e9:.2f} GB input"
            rows.append((label, big_s, big_records / big_s, big_mb, big_pss))
            serial = [*collect_cmd(work / "big", work / "big-out"), "--workers", "1"]
            one_s, one_mb, one_pss, _ = measure(serial)
            rows.append(("  same, --workers 1", one_s, big_records / one_s, one_mb, one_pss))

        print(
            f"\n{'way':<40} {'seconds':>8} {'records/s':>10} {'peak RSS MB':>12} {'peak PSS MB':>12}"
        )
        for name, seconds, rate, mb, pss in rows:
            print(f"{name:<40} {seconds:>8.1f} {rate:>10,.0f} {mb:>12,.0f} {pss:>12,.0f}")
        print(f"\nthroughput ratio (ours / naive): {rows[1][2] / rows[0][2]:.1f}x  (target >= 5x)")
        if args.rss_gb > 0:
            print(
                f"peak memory on the {big / 1e9:.2f} GB input: {rows[2][4]:,.0f} MB PSS with "
                f"workers, {rows[3][3]:,.0f} MB RSS with one process  (target <= 300 MB)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
