"""Write the example agent traffic: `python examples/generate.py --out examples/logs --truth examples/truth.jsonl`.

The committed files under examples/ are this script's output with the defaults below; the same
seed (and the same Faker version) gives the same bytes.
"""

from __future__ import annotations

import argparse
import time

from slmconvert.testing import traffic


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples/logs", help="directory for the log files")
    parser.add_argument(
        "--truth", default="examples/truth.jsonl", help="truth file (keep it outside --out)"
    )
    parser.add_argument("--calls", type=int, default=3000, help="LLM calls to write (at least)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", nargs="+", choices=traffic.FORMATS, help="default: all")
    parser.add_argument(
        "--no-compress", action="store_true", help="write .jsonl instead of .jsonl.gz"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = traffic.generate(
        args.out,
        args.truth,
        calls=args.calls,
        seed=args.seed,
        formats=args.formats,
        compress=not args.no_compress,
    )
    print(
        f"{counts['calls']:,} LLM calls on {counts['lines']:,} lines ({counts['failed']} failed attempts) "
        f"in {time.perf_counter() - start:.1f} s"
    )
    for label in ("tasks", "formats", "files"):
        print(f"  {label}: " + ", ".join(f"{k} {v:,}" for k, v in counts[label].items()))


if __name__ == "__main__":
    main()
