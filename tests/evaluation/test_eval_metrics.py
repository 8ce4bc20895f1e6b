"""From (prediction, reference) pairs to the METRICS dict of eval.json."""

from __future__ import annotations

import numpy as np
import pytest
from eval_tools import TOOLS, ratio

from slmconvert import evaluation as ev
from slmconvert.core.records import message, tool_call


def logged(name: str | None = None, text: str | None = None, **arguments) -> ev.Answer:
    """The reference, read from a logged response the way eval reads records."""
    calls = [tool_call(name, arguments)] if name else None
    return ev.reference_answer(message("assistant", text, tool_calls=calls))


def hermes(name: str, arguments: str) -> str:
    return f'<tool_call>\n{{"name": "{name}", "arguments": {arguments}}}\n</tool_call><|im_end|>'


QUERY = "Where is my order ORD-2025-024101? Still processing after 9 days"
PAIRS = [
    # paraphrased free text, same user: matches by meaning, not exactly
    (
        hermes(
            "ToOrderStatusAssistant",
            '{"query": "where is my order ORD-2025-024101, still processing after nine days", '
            '"user_id": "8864"}',
        ),
        logged("ToOrderStatusAssistant", query=QUERY, user_id="8864"),
    ),
    # exactly right
    (
        hermes("track_shipment", '{"tracking_number": "1Z999AA", "carrier": "UPS"}'),
        logged("track_shipment", tracking_number="1Z999AA", carrier="UPS"),
    ),
    # broken JSON: invalid output, every tool metric a miss
    (
        hermes("track_shipment", '{"tracking_number": "1Z1", carrier: UPS}'),
        logged("track_shipment", tracking_number="1Z1", carrier="UPS"),
    ),
    # prose where a call was due
    (
        "Let me check that for you.<|im_end|>",
        logged("track_shipment", tracking_number="1Z2", carrier="DHL"),
    ),
    # right function, carrier outside the enum
    (
        hermes("track_shipment", '{"tracking_number": "1Z3", "carrier": "Royal Mail"}'),
        logged("track_shipment", tracking_number="1Z3", carrier="DHL"),
    ),
    # text reference answered in near-identical text
    (
        "Your refund was issued on Monday!<|im_end|>",
        logged(text="Your refund was issued on Monday."),
    ),
    # text reference answered with a call: parses, but scores nothing
    (
        hermes("track_shipment", '{"tracking_number": "1Z4", "carrier": "UPS"}'),
        logged(text="We ship to Canada and Mexico."),
    ),
    # a logged call whose arguments were never JSON cannot be scored
    (
        "Sure.",
        ev.reference_answer(
            message("assistant", tool_calls=[tool_call("track_shipment", "{tracking: 1Z5")])
        ),
    ),
]


def scored(**speed) -> dict:
    pairs = [(ev.parse(output, "hermes"), ref) for output, ref in PAIRS]
    return ev.score(pairs, [TOOLS] * len(pairs), ratio, threshold=0.8, **speed)


def test_a_mixed_cluster_gets_every_metric_with_the_documented_shapes():
    metrics = scored()
    assert set(metrics) == {
        "valid_output",
        "schema_valid",
        "function_name_accuracy",
        "arguments_exact",
        "tool_call_match",
        "text_rouge_l",
        "text_similarity",
        "text_similarity_match",
    }
    assert metrics["valid_output"] == ev.rate(5, 7)
    assert metrics["schema_valid"] == ev.rate(2, 5)
    assert metrics["function_name_accuracy"] == ev.rate(3, 5)
    assert metrics["arguments_exact"] == ev.rate(1, 5)
    assert metrics["tool_call_match"] == ev.rate(2, 5)
    assert metrics["text_rouge_l"] == {"n": 2, "mean": 0.5}
    refund = ratio("Your refund was issued on Monday!", "Your refund was issued on Monday.")
    assert metrics["text_similarity"] == ev.mean([refund, 0.0])
    assert metrics["text_similarity_match"] == ev.rate(1, 2)


def test_latency_and_throughput_when_timings_are_given():
    latency = [120.0, 80.0, 95.0, 300.0, 110.0, 90.0, 150.0, None]
    tokens = [24, 16, 19, 30, 22, 9, 30, None]
    metrics = scored(latency_ms=latency, generated_tokens=tokens)
    known = [ms for ms in latency if ms is not None]
    assert metrics["latency_ms"]["p50"] == pytest.approx(np.percentile(known, 50), abs=0.01)
    assert metrics["latency_ms"]["p95"] == pytest.approx(np.percentile(known, 95), abs=0.01)
    assert metrics["tokens_per_s"]["n"] == 7
    assert metrics["tokens_per_s"]["mean"] == pytest.approx(
        np.mean([t / ms * 1000 for t, ms in zip(tokens[:7], known, strict=True)]), abs=1e-3
    )


def test_metrics_that_do_not_apply_are_left_out():
    text_only = [(ev.parse("Hello!", "hermes"), logged(text="Hello there!"))]
    assert set(ev.score(text_only, [[]], ratio, 0.8)) == {
        "valid_output",
        "text_rouge_l",
        "text_similarity",
        "text_similarity_match",
    }
    tool_only = [(ev.parse(PAIRS[1][0], "hermes"), PAIRS[1][1])]
    assert "text_rouge_l" not in ev.score(tool_only, [TOOLS], ratio, 0.8)
    assert "latency_ms" not in ev.score(tool_only, [TOOLS], ratio, 0.8)
    assert ev.score([], [], ratio, 0.8) == {}
