"""Meaning-level similarity of two texts: cosine of their all-MiniLM-L6-v2 embeddings."""

from __future__ import annotations

import numpy as np

SIMILARITY_MODEL = "all-MiniLM-L6-v2"


class Similarity:
    """Cosine similarity of two texts; each text is embedded once."""

    def __init__(self, model: str = SIMILARITY_MODEL):
        from slmconvert.clustering.embed import Embedder

        self.model = model
        self.embedder = Embedder(model, cache_dir=None)
        self.vectors: dict[str, np.ndarray] = {}

    def prime(self, texts: list[str]) -> None:
        """Embed ``texts`` in one batch ahead of the comparisons."""
        new = sorted({t for t in texts if t not in self.vectors})
        if new:
            if len(self.vectors) > 50_000:  # a long-running gateway: keep memory bounded
                self.vectors.clear()
            self.vectors.update(zip(new, self.embedder.embed(new), strict=True))

    def __call__(self, a: str, b: str) -> float:
        self.prime([a, b])
        return float(np.dot(self.vectors[a], self.vectors[b]))
