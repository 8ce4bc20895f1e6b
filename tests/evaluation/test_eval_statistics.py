"""Rates with a Wilson lower bound, means, percentiles and ROUGE-L."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from slmconvert import evaluation as ev
from slmconvert.evaluation.textmetrics import lcs_length


def wilson_closed_form(k: int, n: int, z: float = 1.96) -> float:
    """The same bound, written as (2k + z² - z·sqrt(z² + 4k(n-k)/n)) / (2(n + z²))."""
    return (2 * k + z * z - z * math.sqrt(z * z + 4 * k * (n - k) / n)) / (2 * (n + z * z))


@pytest.mark.parametrize(("k", "n"), [(10, 10), (5, 10), (0, 10), (290, 300), (1, 3), (499, 500)])
def test_wilson_lower_matches_the_closed_form(k, n):
    assert ev.wilson_lower(k, n) == pytest.approx(max(0.0, wilson_closed_form(k, n)), abs=1e-12)


def test_wilson_lower_known_values_and_the_small_sample_penalty():
    assert ev.wilson_lower(10, 10) == pytest.approx(0.7225, abs=1e-4)
    assert ev.wilson_lower(5, 10) == pytest.approx(0.2366, abs=1e-4)
    assert ev.wilson_lower(0, 0) == 0.0
    # the same 100 % on ten times the calls earns a much higher bound
    assert ev.wilson_lower(100, 100) > ev.wilson_lower(10, 10) + 0.2


def test_rate_and_mean_shapes():
    assert ev.rate(9, 10) == {"k": 9, "n": 10, "rate": 0.9, "wilson_low": 0.5958}
    assert ev.rate(0, 0) == {"k": 0, "n": 0, "rate": 0.0, "wilson_low": 0.0}
    assert ev.mean([0.5, 1.0, 0.25]) == {"n": 3, "mean": 0.5833}
    assert ev.mean([]) == {"n": 0, "mean": None}


def test_percentiles_agree_with_numpy():
    values = [random.Random(i).uniform(50, 900) for i in range(37)]
    got = ev.percentiles(values)
    assert got["p50"] == pytest.approx(np.percentile(values, 50), abs=0.01)
    assert got["p95"] == pytest.approx(np.percentile(values, 95), abs=0.01)


def test_rouge_l_on_a_paraphrase():
    score = ev.rouge_l("The cat is on the mat.", "the cat sat on the mat")
    assert score == pytest.approx(5 / 6)  # LCS "the cat on the mat": P = R = 5/6
    assert ev.rouge_l("Refund issued.", "refund issued") == 1.0
    assert ev.rouge_l("no overlap here", "something else entirely") == 0.0
    assert ev.rouge_l("", "") == 1.0
    assert ev.rouge_l("", "text") == 0.0


def dp_lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], prev + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def test_fast_lcs_agrees_with_dynamic_programming():
    rng = random.Random(0)
    words = ["order", "refund", "the", "a", "ship", "card", "late"]
    for _ in range(200):
        a = [rng.choice(words) for _ in range(rng.randint(0, 40))]
        b = [rng.choice(words) for _ in range(rng.randint(0, 40))]
        assert lcs_length(a, b) == dp_lcs(a, b)
