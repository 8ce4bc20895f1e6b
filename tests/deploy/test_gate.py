"""Gate decisions: promote at or above the Wilson lower-bound threshold, hold below, with reasons."""

from __future__ import annotations

import pytest

from slmconvert.core.config import DeployConfig, plain
from slmconvert.deploy import gate

CONFIG = plain(gate.GatePolicy, DeployConfig())


def scored(kinds: dict, **metrics: tuple[int, int, float]) -> dict:
    """An eval.json cluster entry with RATE metrics given as (k, n, wilson_low)."""
    after = {
        name: {"k": k, "n": n, "rate": k / n, "wilson_low": low}
        for name, (k, n, low) in metrics.items()
    }
    return {"id": 0, "answer_kinds": kinds, "after": after}


def test_tool_cluster_is_gated_on_the_configured_metric():
    entry = scored(
        {"tool_calls": 50}, tool_call_match=(50, 50, 0.95), arguments_exact=(10, 50, 0.1)
    )

    decision, reason, found = gate.decide(0, None, None, entry, CONFIG)

    assert decision == "promote"  # a bound equal to the threshold passes
    assert reason == "tool_call_match Wilson lower bound 0.9500 (k/n = 50/50) >= threshold 0.95"
    assert [c["metric"] for c in found["checks"]] == ["tool_call_match"]
    strict = plain(gate.GatePolicy, DeployConfig(gate_metric="arguments_exact"))
    assert gate.decide(0, None, None, entry, strict)[0] == "hold"


def test_text_cluster_below_its_gate_is_held_with_the_numbers():
    entry = scored({"text": 40}, text_similarity_match=(33, 40, 0.6804))

    decision, reason, found = gate.decide(3, None, None, entry, CONFIG)

    assert decision == "hold"
    assert reason == (
        "text_similarity_match Wilson lower bound 0.6804 (k/n = 33/40) < threshold 0.95"
    )
    assert (found["metric"], found["k"], found["n"], found["passed"]) == (
        "text_similarity_match",
        33,
        40,
        False,
    )


def test_mixed_cluster_needs_both_metrics_and_the_first_failure_binds():
    entry = scored(
        {"tool_calls": 30, "text": 30},
        tool_call_match=(30, 30, 0.97),
        text_similarity_match=(20, 30, 0.49),
    )

    decision, reason, found = gate.decide(1, None, None, entry, CONFIG)

    assert decision == "hold" and found["metric"] == "text_similarity_match"
    assert reason.startswith("text_similarity_match Wilson lower bound 0.4900")
    assert [c["passed"] for c in found["checks"]] == [True, False]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ({}, "tool_call_match missing from eval.json"),
        (
            {"tool_call_match": {"k": 0, "n": 0, "rate": 0.0, "wilson_low": 0.0}},
            "tool_call_match has no trials or no Wilson lower bound in eval.json",
        ),
    ],
)
def test_a_missing_or_empty_metric_holds(after, expected):
    entry = {"id": 0, "answer_kinds": {"tool_calls": 5}, "after": after}

    decision, reason, found = gate.decide(0, None, None, entry, CONFIG)

    assert (decision, reason, found["wilson_low"]) == ("hold", expected, None)


def test_noise_select_and_finetune_decisions_keep_the_llm():
    good = scored({"tool_calls": 50}, tool_call_match=(50, 50, 0.99))

    assert gate.decide(-1, None, None, good, CONFIG)[:2] == (
        "stay_on_llm",
        "noise: these calls fit no recurring task (cluster -1)",
    )
    chosen = {"decision": "stay_on_llm", "reason": "fewer than 50 training records"}
    assert gate.decide(2, chosen, None, None, CONFIG)[1] == "select: fewer than 50 training records"
    assert (
        gate.decide(2, None, "no example fits", None, CONFIG)[1]
        == "not fine-tuned: no example fits"
    )
    assert gate.decide(2, None, None, None, CONFIG)[0] == "stay_on_llm"


def test_schedule_and_fallback_follow_the_config():
    settings = DeployConfig(
        schedule=[0, 10, 100], min_samples=50, max_invalid_rate=0.05, timeout_ms=900
    )
    config = plain(gate.GatePolicy, settings)

    steps = gate.schedule(config)
    assert [(s["name"], s["percent"]) for s in steps] == [("shadow", 0), ("10%", 10), ("100%", 100)]
    assert {(s["min_samples"], s["max_invalid_rate"]) for s in steps} == {(50, 0.05)}
    rules = gate.fallback(True, config)
    assert [r["when"] for r in rules] == ["invalid_output", "schema_violation", "timeout"]
    assert rules[-1]["timeout_ms"] == 900 and {r["action"] for r in rules} == {"llm"}
    assert [r["when"] for r in gate.fallback(False, config)] == ["invalid_output", "timeout"]
