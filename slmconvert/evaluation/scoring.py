"""Aggregate per-answer comparisons into the METRICS dict of ``eval.json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slmconvert.evaluation.answers import Answer
from slmconvert.evaluation.matching import (
    Similarity,
    call_match,
    calls_exact,
    names_match,
    schema_valid,
)
from slmconvert.evaluation.stats import mean, percentiles, rate
from slmconvert.evaluation.textmetrics import rouge_l

TOOL_METRICS = (
    "schema_valid",
    "function_name_accuracy",
    "arguments_exact",
    "tool_call_match",
)


def _tool_hits(
    pred: Answer, ref: Answer, tools: Sequence[Mapping[str, Any]], similarity, threshold
) -> dict[str, bool]:
    if pred.kind != "tool_calls":
        return dict.fromkeys(TOOL_METRICS, False)
    return {
        "schema_valid": schema_valid(pred.calls, tools),
        "function_name_accuracy": names_match(pred.calls, ref.calls),
        "arguments_exact": calls_exact(pred.calls, ref.calls),
        "tool_call_match": call_match(pred.calls, ref.calls, tools, similarity, threshold),
    }


def score(
    pairs: Sequence[tuple[Answer, Answer]],
    tools_per_pair: Sequence[Sequence[Mapping[str, Any]]],
    similarity: Similarity,
    threshold: float,
    latency_ms: Sequence[float | None] | None = None,
    generated_tokens: Sequence[int | None] | None = None,
) -> dict[str, dict]:
    """The METRICS dict (docs/stage-outputs.md) for (prediction, reference) pairs.

    ``tools_per_pair[i]`` are the tools offered with pair ``i``. Tool-call metrics count over
    pairs whose reference is a tool call, text metrics over pairs whose reference is text; a
    prediction of the other kind is a miss. ``valid_output`` counts over all pairs: the
    prediction parsed and, when the reference is a tool call, is one. Pairs whose reference is
    itself invalid cannot be scored and are skipped. ``latency_ms`` and ``generated_tokens``
    (per pair, None where unknown) fill ``latency_ms`` {p50, p95} and ``tokens_per_s``. Metrics
    with nothing to count are left out.
    """
    if len(tools_per_pair) != len(pairs):
        raise ValueError("tools_per_pair must have one entry per pair")
    valid = [0, 0]
    tool_hits = dict.fromkeys(TOOL_METRICS, 0)
    tool_n = 0
    rouge, similarities = [], []
    for (pred, ref), tools in zip(pairs, tools_per_pair, strict=True):
        if ref.kind == "invalid":
            continue
        valid[1] += 1
        valid[0] += pred.valid and (ref.kind != "tool_calls" or pred.kind == "tool_calls")
        if ref.kind == "tool_calls":
            tool_n += 1
            for name, hit in _tool_hits(pred, ref, tools, similarity, threshold).items():
                tool_hits[name] += hit
        elif pred.kind == "text":
            rouge.append(rouge_l(pred.text, ref.text))
            similarities.append(float(similarity(pred.text, ref.text)))
        else:
            rouge.append(0.0)
            similarities.append(0.0)

    metrics: dict[str, dict] = {}
    if valid[1]:
        metrics["valid_output"] = rate(*valid)
    if tool_n:
        metrics.update({name: rate(hits, tool_n) for name, hits in tool_hits.items()})
    if rouge:
        metrics["text_rouge_l"] = mean(rouge)
        metrics["text_similarity"] = mean(similarities)
        hits = sum(s >= threshold for s in similarities)
        metrics["text_similarity_match"] = rate(hits, len(similarities))
    metrics.update(_speed(latency_ms, generated_tokens))
    return metrics


def _speed(
    latency_ms: Sequence[float | None] | None, generated_tokens: Sequence[int | None] | None
) -> dict[str, dict]:
    latencies = [t for t in latency_ms or () if t is not None]
    if not latencies:
        return {}
    speed = {"latency_ms": percentiles(latencies)}
    pairs = zip(latency_ms or (), generated_tokens, strict=True) if generated_tokens else ()
    rates = [tokens / (ms / 1000) for ms, tokens in pairs if ms and tokens is not None]
    if rates:
        speed["tokens_per_s"] = mean(rates)
    return speed
