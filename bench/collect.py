"""Benchmark `collect` against the naive way on generated agent logs.

Naive way: ``json.loads`` per line into a pandas DataFrame, then a per-row ``apply`` that runs the
same format detection and normalisation slmconvert uses (so the comparison measures the
framework around the parsers, not different parsing rules). Ours: ``slmconvert collect`` with its
default settings. Each run is its own process; the two ways alternate ``--repeat`` times on the
same input, so a busy machine slows both alike, and each pair gives a ratio. Peak RSS (and, on
the memory input, PSS) is sampled over the whole process tree; CPU seconds are user + system time
of the tree. Throughput is the same input's records per second, so its ratio is the ratio of
the two ways' seconds: the target line. The output records/s line counts what each way keeps:
every parsed item for the naive way, what is left after exact deduplication for ours (which
drops ~7% of this log, work the naive way skips).

    python bench/collect.py                           # 200,000 calls, plus a >= 1 GB input
    python bench/collect.py --calls 50000 --repeat 3 --rss-gb 0

A row per newer format (``--format-lines``, default 20,000 per format): its test fixture's lines
repeated into a log of that many lines, read both ways once (our de-duplication drops the
repeats; the ratio is on input lines, as above).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


@dataclass
class Run:
    """One measured process tree."""

    seconds: float
    cpu: float
    rss_mb: float
    pss_mb: float
    stdout: str


def measure(cmd: list[str], pss: bool = False) -> Run:
    """Run ``cmd``; wall and CPU seconds, peak RSS (and with ``pss``, peak PSS) of its process
    tree, and its stdout.

    PSS splits pages shared between processes (forked workers share the parent's libraries), so
    it is the fair sum for a process tree; RSS counts shared pages once per process. Reading PSS
    walks the process's page tables, which slows a process holding gigabytes: timed runs read
    RSS only.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak = peak_pss = 0
    while proc.poll() is None:
        try:
            tree = [p for p in [root, *root.children(recursive=True)] if p.is_running()]
            mem = [p.memory_full_info() if pss else p.memory_info() for p in tree]
            peak = max(peak, sum(m.rss for m in mem))
            peak_pss = max(peak_pss, sum(m.pss for m in mem)) if pss else 0
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(seconds, cpu, peak / 1e6, peak_pss / 1e6, out)


def generate(dest: Path, calls: int, seed: int) -> int:
    from slmconvert.testing import traffic

    dest.mkdir(parents=True, exist_ok=True)
    traffic.generate(
        dest, dest.parent / f"{dest.name}-truth.jsonl", calls=calls, seed=seed, compress=False
    )
    os.sync()  # else the first timed run shares the disk with writing the log back
    return sum(p.stat().st_size for p in dest.iterdir())


def collect_cmd(logs: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "slmconvert", "collect", str(logs), "-o", str(out), "--force"]


def records_in(out: Path) -> int:
    from slmconvert.core.stagedir import open_input

    return open_input(out).manifest["counts"]["records"]


FORMATS = ("openai-responses", "gemini", "bedrock-converse", "openai-agents")
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "formats"


def per_format(work: Path, lines: int) -> None:
    """One naive and one slmconvert run per newer format, on its fixture repeated."""
    print(f"\n{'format':<18} {'lines':>7} {'naive s':>8} {'ours s':>7} {'ratio':>6}")
    for name in FORMATS:
        source = (FIXTURES / f"{name}.jsonl").read_text().splitlines()
        logs = work / f"fmt-{name}"
        logs.mkdir()
        body = "\n".join(source[i % len(source)] for i in range(lines)) + "\n"
        (logs / f"{name}.jsonl").write_text(body)
        naive = measure([sys.executable, "-c", NAIVE, str(logs)])
        ours = measure(collect_cmd(logs, work / f"fmt-{name}-out"))
        print(
            f"{name:<18} {lines:>7,} {naive.seconds:>8.1f} {ours.seconds:>7.1f} "
            f"{naive.seconds / ours.seconds:>5.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000, help="calls in the throughput log")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each way")
    parser.add_argument(
        "--rss-gb", type=float, default=1.0, help="size of the memory log (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--format-lines", type=int, default=20_000, help="lines per newer format (0: skip)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="slmconvert-bench-"))
    try:
        t0 = time.perf_counter()
        size = generate(work / "logs", args.calls, args.seed)
        print(
            f"generated {args.calls:,} calls, {size / 1e6:,.0f} MB in {time.perf_counter() - t0:.0f} s"
        )
        ours_cmd = collect_cmd(work / "logs", work / "out")
        naive_cmd = [sys.executable, "-c", NAIVE, str(work / "logs")]
        pairs: list[tuple[Run, Run]] = []
        for i in range(args.repeat):
            # alternate which goes first, so neither always meets the same neighbours
            first, second = (ours_cmd, naive_cmd) if i % 2 == 0 else (naive_cmd, ours_cmd)
            a, b = measure(first), measure(second)
            pairs.append((a, b) if i % 2 == 0 else (b, a))
        records = records_in(work / "out")
        naive_records = int(pairs[0][1].stdout.strip())

        print(
            f"\n{'run':<5} {'way':<12} {'seconds':>8} {'CPU s':>7} {'input rec/s':>12} "
            f"{'output rec/s':>13} {'peak RSS MB':>12}"
        )
        ratios, time_ratios, cpu_ratios = [], [], []
        for i, (ours, naive) in enumerate(pairs, start=1):
            for name, run, n in (("naive", naive, naive_records), ("slmconvert", ours, records)):
                print(
                    f"{i:<5} {name:<12} {run.seconds:>8.1f} {run.cpu:>7.1f} "
                    f"{naive_records / run.seconds:>12,.0f} {n / run.seconds:>13,.0f} "
                    f"{run.rss_mb:>12,.0f}"
                )
            ratios.append((records / ours.seconds) / (naive_records / naive.seconds))
            time_ratios.append(naive.seconds / ours.seconds)
            cpu_ratios.append(naive.cpu / ours.cpu)
        print(
            f"\nrecords: naive {naive_records:,} (every parsed item), ours {records:,} (after dedup)"
        )
        for label, values, note in (  # the target last: bench/run_all.py shows the last lines
            ("CPU seconds, naive / ours", cpu_ratios, ""),
            ("output records/s, ours / naive", ratios, ""),
            ("throughput (same input), ours / naive", time_ratios, "  (target >= 5x)"),
        ):
            runs = ", ".join(f"{r:.1f}x" for r in values)
            print(f"{label:<38} {runs}; median {statistics.median(values):.1f}x{note}")

        if args.rss_gb > 0:
            big_calls = int(args.calls * args.rss_gb * 1e9 / size) + 1
            big = generate(work / "big", big_calls, args.seed + 1)
            default = measure(collect_cmd(work / "big", work / "big-out"), pss=True)
            serial = measure(
                [*collect_cmd(work / "big", work / "big-out"), "--workers", "1"], pss=True
            )
            big_records = records_in(work / "big-out")
            print(f"\n{big / 1e9:.2f} GB input, {big_records:,} records:")
            for name, run in (("default", default), ("--workers 1", serial)):
                print(
                    f"  {name:<12} {run.seconds:>7.1f} s {big_records / run.seconds:>9,.0f} "
                    f"records/s, peak RSS {run.rss_mb:,.0f} MB, peak PSS {run.pss_mb:,.0f} MB"
                )
            print("  (target: <= 300 MB; RSS sums the processes, PSS splits their shared pages)")
        if args.format_lines:
            per_format(work, args.format_lines)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
