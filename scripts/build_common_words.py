"""Rebuild ``slmconvert/pii/data/common_words.txt.gz``: everyday English words.

The name and place gazetteers hold many everyday words (``Rose``, ``Park``, ``Reading``,
``Mobile``), and a capitalised run of words after ``by`` or ``with`` is a name only when none
of them is an English word. Source: the lower-case entries of Webster's Second International
word list (``web2``, public domain) as shipped by the ``english-words`` package (MIT); proper
nouns are capitalised there and so never listed.

    pip install english-words==2.0.2
    python scripts/build_common_words.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

from english_words import get_english_words_set

OUT = Path(__file__).resolve().parents[1] / "slmconvert" / "pii" / "data" / "common_words.txt.gz"


def main() -> None:
    """Write the words, one per line, sorted."""
    words = {w for w in get_english_words_set(["web2"], alpha=True, lower=False) if w.islower()}
    keep = sorted(w for w in words if len(w) > 1)
    OUT.write_bytes(gzip.compress("".join(f"{w}\n" for w in keep).encode(), mtime=0))
    print(f"{OUT.name}: {len(keep)} words")


if __name__ == "__main__":
    main()
