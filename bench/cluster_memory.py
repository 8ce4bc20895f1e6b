"""`cluster`'s peak memory against the number of records, and what it projects to at 10⁸.

The fleet generator repeats calls past about 0.8 M distinct records, so one generated fleet
(``--base-calls``) is collected once and its records are written again with fresh ids until
each size in ``--records`` is reached: the same agent structures, more and more calls. Each
size is clustered in a process of its own and that process's peak RSS (VmHWM) is read. The
growth per record between the smallest and the largest size projects the peak at 10⁸ records
(from the largest run on). The naive way, every record read into a Python dict
(``Table.to_pylist``), is measured at the smallest size and projected the same way.

    python bench/cluster_memory.py                                # 0.1 M, 1 M and 3 M records
    python bench/cluster_memory.py --records 100000 500000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 10**8
BUDGET_MB = 4096

CLUSTER = """
import json, sys, time
from slmconvert.core.config import ClusterConfig
from slmconvert.stages import cluster
from slmconvert.testing.peak import peak_rss_bytes
start = time.perf_counter()
result = cluster.run(sys.argv[1], sys.argv[2], ClusterConfig(allow_unscrubbed=True))
print(json.dumps({"wall_s": time.perf_counter() - start, "counts": result.counts,
                  "rss_mb": peak_rss_bytes() / 2**20}))
"""

NAIVE = """
import glob, json, sys
import pyarrow.parquet as pq
from slmconvert.testing.peak import peak_rss_bytes
records = [r for f in sorted(glob.glob(sys.argv[1] + "/data/*.parquet"))
           for r in pq.read_table(f).to_pylist()]
print(json.dumps({"records": len(records), "rss_mb": peak_rss_bytes() / 2**20}))
"""


def _child(code: str, *args: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env
    )
    if run.returncode:
        raise SystemExit(run.stderr[-3000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def base_records(calls: int, work: Path) -> Path:
    """A generated fleet of ``calls`` calls, collected (its distinct records)."""
    sys.path.insert(0, str(ROOT))
    from slmconvert.core.config import CollectConfig
    from slmconvert.stages import collect
    from slmconvert.testing.fleet import generate_fleet

    generate_fleet(work / "logs", work / "truth.jsonl", calls=calls, nodes=45, seed=3)
    collect.run([work / "logs"], work / "collect", CollectConfig())
    return work / "collect"


def repeated(base: Path, out: Path, records: int) -> int:
    """``base``'s records written again with fresh ids until ``records``; the count written."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import xxhash

    shutil.rmtree(out, ignore_errors=True)
    (out / "data").mkdir(parents=True)
    files, written, copy = sorted((base / "data").glob("*.parquet")), 0, 0
    while written < records:
        for k, path in enumerate(files):
            table = pq.read_table(path).slice(0, records - written)
            ids = [
                xxhash.xxh3_128_hexdigest(f"{i}:{copy}".encode())
                for i in table.column("id").to_pylist()
            ]
            at = table.schema.get_field_index("id")
            table = table.set_column(at, "id", pa.array(ids, table.schema.field("id").type))
            pq.write_table(table, out / "data" / f"part-{copy:04d}-{k:03d}.parquet")
            written += table.num_rows
            if written >= records:
                break
        copy += 1
    manifest = json.loads((base / "manifest.json").read_text())
    manifest["counts"]["records"] = written
    (out / "manifest.json").write_text(json.dumps(manifest))
    return written


def main() -> None:
    """Run every size, print the table and the projection, write them to --out."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-calls", type=int, default=100_000)
    ap.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cluster_memory.md")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir=ROOT / "work") as tmp:
        base = base_records(args.base_calls, Path(tmp) / "base")
        for n in sorted(args.records):
            stage_in = Path(tmp) / f"in-{n}"
            written = repeated(base, stage_in, n)
            got = _child(CLUSTER, str(stage_in), str(Path(tmp) / f"out-{n}"))
            rows.append({"records": written, **got})
            print(rows[-1], flush=True)
            if n == min(args.records):
                naive = _child(NAIVE, str(stage_in))
            shutil.rmtree(stage_in)
    text = "\n".join(report(rows, naive, args))
    args.out.write_text(text + "\n")
    print(text)


def report(rows: list[dict], naive: dict, args) -> list[str]:
    """The table, the growth per record and the projection to 10⁸ records, as Markdown lines."""
    first, last = rows[0], rows[-1]
    before = rows[-2] if len(rows) > 1 else first
    whole, tail = _slope(first, last), _slope(before, last)
    # a peak that fell between runs is noise, not memory given back: never project below it
    ours_at = last["rss_mb"] + max(whole, 0.0) * (TARGET - last["records"]) / 2**20
    naive_per = naive["rss_mb"] * 2**20 / naive["records"]
    naive_at = naive_per * TARGET / 2**20
    lines = [
        "# bench/cluster_memory.py — cluster's peak memory against the number of records",
        "",
        f"Run: `python bench/cluster_memory.py --base-calls {args.base_calls} --records "
        f"{' '.join(map(str, args.records))}`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} "
        "CPUs. One generated fleet, collected, its records written again with fresh ids up to "
        "each size (the same agent structures); cluster on the local engine, peak RSS (VmHWM).",
        "",
        "| records | distinct structures | clusters | wall s | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        c = r["counts"]
        lines.append(
            f"| {r['records']:,} | {c['distinct_structures']:,} | {c['clusters']} | "
            f"{r['wall_s']:.1f} | {r['rss_mb']:,.0f} |"
        )
    lines += [
        "",
        f"- Growth: {whole:.1f} bytes a record from {first['records']:,} to "
        f"{last['records']:,} records; {tail:.1f} from {before['records']:,} on.",
        f"- Projected peak at {TARGET:,} records, growing {max(whole, 0.0):.1f} bytes a record "
        f"from the largest run on: {ours_at:,.0f} MB (budget {BUDGET_MB:,} MB"
        f"{'' if ours_at <= BUDGET_MB else ': OVER'}).",
        f"- Naive way (every record a Python dict) at {naive['records']:,} records: "
        f"{naive['rss_mb']:,.0f} MB, {naive_per:,.0f} bytes a record; at {TARGET:,}: "
        f"{naive_at / 1024:,.0f} GB, {naive_at / ours_at:,.0f}× the projected peak.",
    ]
    return lines


def _slope(a: dict, b: dict) -> float:
    """Bytes of peak RSS per record between two runs."""
    return (b["rss_mb"] - a["rss_mb"]) * 2**20 / max(b["records"] - a["records"], 1)


if __name__ == "__main__":
    main()
