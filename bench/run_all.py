"""Run every bench script and print one table: script, wall time, exit code, its headline ratio.

    python bench/run_all.py [--quick]

``--quick`` passes each script smaller sizes (a smoke run, minutes instead of an hour); the full
run uses each script's defaults. Every script's own output is saved under ``bench/out/``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# script, arguments for --quick
SCRIPTS = [
    ("collect.py", ["--calls", "20000", "--repeat", "1", "--rss-gb", "0"]),
    ("pii.py", ["--records", "5000", "--naive-records", "500"]),
    ("cluster.py", ["--sizes", "10000", "--transformer-up-to", "10000"]),
    ("finetune.py", ["--steps", "5", "--no-large"]),
    ("gateway.py", ["--requests", "200", "--rates", "50"]),
]
HEADLINE = re.compile(r"(ratio|speed-up|×|\dx\b)", re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args()
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
    rows = []
    for script, quick in SCRIPTS:
        cmd = [sys.executable, str(HERE / script), *(quick if args.quick else [])]
        print(f"running {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - t0
        log = out_dir / f"{Path(script).stem}.txt"
        log.write_text(done.stdout + done.stderr)
        lines = [ln.strip() for ln in done.stdout.splitlines() if HEADLINE.search(ln)]
        rows.append((script, seconds, done.returncode, lines[-2:] or ["(no ratio printed)"]))
    print(f"\n{'script':<14} {'seconds':>8} {'exit':>5}  headline")
    print("-" * 100)
    for script, seconds, code, lines in rows:
        print(f"{script:<14} {seconds:>8.0f} {code:>5}  {lines[0]}")
        for extra in lines[1:]:
            print(f"{'':<29}  {extra}")
    print(f"\nfull outputs: {out_dir}/")
    sys.exit(max(code for _, _, code, _ in rows))


if __name__ == "__main__":
    main()
