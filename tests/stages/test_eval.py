"""`slmconvert eval`: the base model and the tuned one answer the held-out calls; scored vs the LLM.

A small tiny model is fully fine-tuned for a few dozen steps on the examples' routing cluster:
enough to exercise the stage, not to learn the task (the gain on the demo's real tiny model is
asserted by tests/stages/test_run_demo.py). Its answers are mostly garbage, which must count as
invalid rather than crash the run.
"""

from __future__ import annotations

import orjson
import pytest

from slmconvert.core.config import EvalConfig, FinetuneConfig
from slmconvert.core.errors import InputError
from slmconvert.stages import eval as evaluate
from slmconvert.stages import finetune

TOOL_METRICS = {"valid_output", "schema_valid", "function_name_accuracy", "arguments_exact"}


@pytest.fixture(scope="module")
def tuned(example_stages, small_tiny_model, tmp_path_factory):
    doc = orjson.loads((example_stages["select"] / "clusters.json").read_bytes())
    routing = next(c["id"] for c in doc["clusters"] if "ToOrderStatusAssistant" in c["tools"])
    config = FinetuneConfig(
        model=str(small_tiny_model), clusters=[routing], method="full", max_train=64,
        max_steps=40, batch_size=4, learning_rate=1e-2, threads=1,
    )  # fmt: skip
    out = tmp_path_factory.mktemp("tuned") / "finetune"
    return finetune.run(example_stages["select"], out, config), routing


@pytest.fixture(scope="module")
def scored(tuned, tmp_path_factory):
    result, _ = tuned
    config = EvalConfig(max_eval=12, max_new_tokens=64, batch_size=6, threads=1)
    return evaluate.run(result.output, tmp_path_factory.mktemp("eval") / "eval", config)


def cluster_entry(result) -> dict:
    return orjson.loads((result.output / "eval.json").read_bytes())["clusters"][0]


def test_before_and_after_are_scored_on_the_held_out_calls(scored, tuned):
    entry = cluster_entry(scored)
    assert entry["id"] == tuned[1] and entry["records"] == 12
    assert entry["answer_kinds"] == {"tool_calls": 12}
    for side in ("before", "after"):
        metrics = entry[side]
        assert TOOL_METRICS <= metrics.keys()
        for name in TOOL_METRICS:
            rate = metrics[name]
            assert rate["n"] == 12 and 0 <= rate["wilson_low"] <= rate["rate"] <= 1
        assert metrics["latency_ms"]["p50"] > 0 and metrics["tokens_per_s"]["mean"] > 0
    assert "text_rouge_l" not in entry["after"]  # only tool-call references here


def test_garbage_generations_count_as_invalid_not_as_a_crash(scored):
    entry = cluster_entry(scored)
    before = entry["before"]["valid_output"]
    assert before["k"] < before["n"]
    assert entry["before"]["function_name_accuracy"]["k"] <= before["k"]
    assert all(e["after"] is not None and e["reference"] for e in entry["examples"])


def test_self_consistent_generation_is_reported_beside_greedy(tuned, tmp_path):
    result, _ = tuned
    config = EvalConfig(max_eval=4, max_new_tokens=64, samples=3, baseline=False, threads=1)
    out = evaluate.run(result.output, tmp_path / "eval", config)
    entry = cluster_entry(out)
    assert entry["before"] is None and entry["scg"]["before"] is None
    assert entry["scg"]["after"]["valid_output"]["n"] == 4
    assert orjson.loads((out.output / "eval.json").read_bytes())["settings"]["samples"] == 3


def test_upstream_files_travel_forward_for_deploy(scored):
    for name in ("clusters.json", "selection.json", "finetune.json", "centroids.npy", "router"):
        assert (scored.output / name).exists()
    assert [s["stage"] for s in scored.manifest["lineage"]][-2:] == ["finetune", "eval"]


def test_the_cli_prints_cluster_by_metric_before_and_after(tuned, tmp_path, cli):
    result, routing = tuned
    run = cli("eval", result.output, "-o", tmp_path / "e", "--max-eval", "3", "--threads", "1")
    assert run.exit_code == 0, run.stderr
    assert "before" in run.stdout and "after" in run.stdout and "function name" in run.stdout


def test_an_unknown_cluster_is_refused(tuned, tmp_path):
    result, _ = tuned
    with pytest.raises(InputError, match="has no adapter"):
        evaluate.run(result.output, tmp_path / "e", EvalConfig(clusters=[99]))
