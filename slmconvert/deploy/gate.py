"""The promotion gate, the rollout schedule and the fallback rules of one cluster.

A cluster is gated on the Wilson 95% lower bound of the eval stage's ``after`` scores: the
configured tool metric when its held-out references hold tool calls, ``text_similarity_match``
when they hold text, both for a mixed cluster. Every gate metric must reach the threshold.
Reasons give metric names and numbers only, never text from the logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from slmconvert.core.records import NOISE

TEXT_METRIC = "text_similarity_match"
PROMOTE, HOLD, STAY = "promote", "hold", "stay_on_llm"


@dataclass(frozen=True)
class GatePolicy:
    """The gate, the rollout schedule and the fallback settings; the deploy stage fills it from
    its settings of the same names."""

    gate_metric: str  # the tool metric that gates clusters whose references call tools
    gate_threshold: float  # the Wilson 95% lower bound every gate metric must reach
    schedule: list[int]  # traffic percent per rollout step (0 = shadow), ending at 100
    min_samples: int  # samples each step needs before the next
    max_invalid_rate: float  # invalid-output rate a step tolerates
    timeout_ms: int  # the small model's time to answer before the call goes to the LLM


def gate_metrics(entry: dict, config: GatePolicy) -> list[str]:
    """The metrics that gate an eval entry, from the kinds of its held-out references."""
    kinds = entry.get("answer_kinds") or {}
    wanted = []
    if kinds.get("tool_calls"):
        wanted.append(config.gate_metric)
    if kinds.get("text"):
        wanted.append(TEXT_METRIC)
    if wanted:
        return wanted
    # no counts: the text metric when only it was scored, else the tool metric
    after = entry.get("after") or {}
    only_text = TEXT_METRIC in after and config.gate_metric not in after
    return [TEXT_METRIC] if only_text else [config.gate_metric]


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check(metrics: dict, metric: str, threshold: float) -> tuple[dict, str]:
    """One metric against the threshold: ``(check, reason)``."""
    rate = metrics.get(metric)
    if not isinstance(rate, dict):
        found = {"metric": metric, "wilson_low": None, "k": None, "n": None, "passed": False}
        return found, f"{metric} missing from eval.json"
    low, k, n = rate.get("wilson_low"), _int(rate.get("k")), _int(rate.get("n"))
    if not isinstance(low, int | float) or isinstance(low, bool) or not n:
        found = {"metric": metric, "wilson_low": None, "k": k, "n": n, "passed": False}
        return found, f"{metric} has no trials or no Wilson lower bound in eval.json"
    low = float(low)
    passed = low >= threshold
    found = {"metric": metric, "wilson_low": low, "k": k, "n": n, "passed": passed}
    sign = ">=" if passed else "<"
    return found, (
        f"{metric} Wilson lower bound {low:.4f} (k/n = {k}/{n}) {sign} threshold {threshold:g}"
    )


def evaluate(entry: dict, config: GatePolicy) -> tuple[dict, str]:
    """The gate of one eval entry: ``(gate, reason)``; the first failing check binds."""
    metrics = entry.get("after") or {}
    results = [check(metrics, m, config.gate_threshold) for m in gate_metrics(entry, config)]
    failed = [(c, why) for c, why in results if not c["passed"]]
    if failed:
        binding = failed[0][0]
        reason = "; ".join(why for _, why in failed)
    else:
        binding, reason = min(results, key=lambda r: r[0]["wilson_low"])
    gate = {
        "metric": binding["metric"],
        "threshold": config.gate_threshold,
        "wilson_low": binding["wilson_low"],
        "k": binding["k"],
        "n": binding["n"],
        "passed": not failed,
        "checks": [c for c, _ in results],
    }
    return gate, reason


def decide(
    cid: int,
    selection: dict | None,
    skipped: str | None,
    evaluated: dict | None,
    config: GatePolicy,
) -> tuple[str, str, dict | None]:
    """``(decision, reason, gate)`` of one cluster from its select, finetune and eval entries."""
    if cid == NOISE:
        return STAY, "noise: these calls fit no recurring task (cluster -1)", None
    if selection is not None and selection.get("decision") == STAY:
        return STAY, f"select: {selection.get('reason') or 'stays on the LLM'}", None
    if evaluated is None:
        if skipped:
            return STAY, f"not fine-tuned: {skipped}", None
        return STAY, "no eval result for this cluster (not fine-tuned or not evaluated)", None
    gate, reason = evaluate(evaluated, config)
    return (PROMOTE if gate["passed"] else HOLD), reason, gate


def schedule(config: GatePolicy) -> list[dict]:
    """The rollout steps: traffic percent (0 = shadow), samples needed, invalid-rate ceiling."""
    return [
        {
            "name": "shadow" if percent == 0 else f"{percent}%",
            "percent": percent,
            "min_samples": config.min_samples,
            "max_invalid_rate": config.max_invalid_rate,
        }
        for percent in config.schedule
    ]


def fallback(tool_calls: bool, config: GatePolicy) -> list[dict]:
    """When a promoted cluster's call goes back to the LLM."""
    rules = [
        {
            "when": "invalid_output",
            "action": "llm",
            "description": "the answer does not parse in the model's tool format",
        }
    ]
    if tool_calls:
        rules.append(
            {
                "when": "schema_violation",
                "action": "llm",
                "description": "a tool call names an unknown tool or fails its parameters schema",
            }
        )
    rules.append(
        {
            "when": "timeout",
            "action": "llm",
            "timeout_ms": config.timeout_ms,
            "description": "the small model has not answered within timeout_ms",
        }
    )
    return rules


NOISE_RULE = {
    "when": "noise",
    "action": "llm",
    "description": "the router puts the call in no cluster (beyond every calibrated bound)",
}
