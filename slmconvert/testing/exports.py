"""Large JSON exports for memory tests and benchmarks: a small export's runs, repeated."""

from __future__ import annotations

from pathlib import Path

import orjson


def repeated_export(runs: list[dict], path: str | Path, size: int) -> int:
    """Write one JSON array of at least ``size`` bytes to ``path``: ``runs`` over and over, each
    copy with a fresh ``id``. Returns the number of runs written."""
    n = 0
    with open(path, "wb") as out:
        out.write(b"[")
        while out.tell() < size:
            for run in runs:
                run = {**run, "id": f"00000000-0000-4000-8000-{n:012d}"}
                out.write((b",\n" if n else b"") + orjson.dumps(run))
                n += 1
        out.write(b"]")
    return n
