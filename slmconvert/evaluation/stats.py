"""The numbers eval reports: rates with a Wilson lower bound, means and percentiles."""

from __future__ import annotations

import math
from collections.abc import Iterable


def wilson_lower(k: int, n: int, z: float = 1.96) -> float:
    """Lower end of the Wilson score interval for ``k`` hits in ``n`` trials (95 % by default)."""
    if n <= 0:
        return 0.0
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def rate(k: int, n: int) -> dict:
    """A RATE metric: ``{"k", "n", "rate", "wilson_low"}``, rounded to 4 decimals."""
    return {
        "k": k,
        "n": n,
        "rate": round(k / n, 4) if n else 0.0,
        "wilson_low": round(wilson_lower(k, n), 4),
    }


def mean(values: Iterable[float]) -> dict:
    """A MEAN metric: ``{"n", "mean"}`` rounded to 4 decimals (mean is None when n is 0)."""
    values = list(values)
    return {"n": len(values), "mean": round(sum(values) / len(values), 4) if values else None}


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation, as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentiles(values: Iterable[float]) -> dict:
    """``{"p50", "p95"}`` of the values, rounded to 2 decimals."""
    values = list(values)
    return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}
