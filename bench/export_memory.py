"""A multi-GB LangSmith export through `collect`: peak memory against the export's size.

Generates LangSmith JSON array exports (the test fixture's runs repeated with new ids) of each
size, collects each in a process of its own, and reads that process's peak RSS (VmHWM). The
naive way, ``json.load`` of the whole file, is measured on the smallest export only (on the
largest it would not fit in this machine's memory) and its peak per GB is the ratio's base.

    python bench/export_memory.py                    # 0.25 GB and 2 GB
    python bench/export_memory.py --gigabytes 0.1 0.5
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "formats" / "langsmith.json"

OURS = """
import sys
from slmconvert.core.config import CollectConfig
from slmconvert.stages import collect
from slmconvert.testing.peak import peak_rss_bytes
result = collect.run([sys.argv[1]], sys.argv[2], CollectConfig(workers=1))
print(result.counts["records"] + result.counts["duplicates"], peak_rss_bytes())
"""

NAIVE = """
import json, sys
from slmconvert.testing.peak import peak_rss_bytes
with open(sys.argv[1]) as fh:
    runs = json.load(fh)
print(len(runs), peak_rss_bytes())
"""


def export(path: Path, size: int) -> int:
    """Write a LangSmith export of about ``size`` bytes; returns its run count."""
    from slmconvert.testing.exports import repeated_export

    return repeated_export(orjson.loads(FIXTURE.read_bytes()), path, size)


def measure(script: str, *args: str) -> tuple[int, float, float]:
    """(items, peak MB, seconds) of ``script`` in a fresh process."""
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    items, peak = run.stdout.split()[-2:]
    return int(items), int(peak) / 2**20, time.perf_counter() - start


def main() -> None:
    """Generate, collect, print the table and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gigabytes", type=float, nargs="+", default=[0.25, 2.0])
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir=ROOT / "work") as tmp:
        for i, gb in enumerate(sorted(args.gigabytes)):
            path = Path(tmp) / f"export-{gb}.json"
            export(path, int(gb * 2**30))
            size_mb = path.stat().st_size / 2**20
            items, peak, seconds = measure(OURS, str(path), str(Path(tmp) / f"out-{gb}"))
            rows.append(("slmconvert collect", size_mb, items, peak, seconds))
            if i == 0:
                items, peak, seconds = measure(NAIVE, str(path))
                rows.append(("naive json.load", size_mb, items, peak, seconds))
            path.unlink()
    print("| way | export MB | items | peak RSS MB | seconds |\n|---|---:|---:|---:|---:|")
    for way, size, items, peak, seconds in rows:
        print(f"| {way} | {size:,.0f} | {items:,} | {peak:,.0f} | {seconds:.1f} |")
    naive = next(r for r in rows if r[0].startswith("naive"))
    ours = [r for r in rows if r[0].startswith("slm")]
    per_mb = naive[3] / naive[1]
    largest = ours[-1]
    print(
        f"\nnaive peak per MB of export: {per_mb:.1f}x; at {largest[1]:,.0f} MB it would need "
        f"~{per_mb * largest[1] / 1024:,.1f} GB; collect peaked at {largest[3]:,.0f} MB "
        f"({per_mb * largest[1] / largest[3]:,.0f}x less), "
        f"{ours[0][3]:,.0f} MB at {ours[0][1]:,.0f} MB"
    )


if __name__ == "__main__":
    main()
