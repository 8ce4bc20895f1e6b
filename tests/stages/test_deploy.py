"""`slmconvert deploy`: the gated rollout manifest, savings and serving configs of an eval run.

The input is the real select output of the example logs (the `example_stages` fixture runs
collect → pii → cluster → select on them) with a finetune.json and eval.json written per docs/stage-outputs.md: cluster 0 (tool calls) and 2
(JSON answers, gated as text) pass, 3 (text) is below its gate, 1 (mixed) lacks its text
metric, 4 was skipped by finetune, 5 never trained, select kept 6 on the LLM, -1 is noise.
"""

from __future__ import annotations

import shutil
import stat
from collections import defaultdict
from pathlib import Path

import orjson
import pytest
import yaml
from deploy_world import wilson_low, write_eval_dir
from vllm_args import commands, vllm_arguments

from slmconvert import catalog
from slmconvert.clustering.router import TaskRouter
from slmconvert.core.config import DeployConfig
from slmconvert.core.errors import InputError, OutputExistsError
from slmconvert.core.stagedir import open_input
from slmconvert.deploy import rollout
from slmconvert.deploy.render import summary
from slmconvert.stages import deploy

STAGES: dict[str, Path] = {}


@pytest.fixture(scope="module")
def evaluated(example_stages, tmp_path_factory) -> Path:
    STAGES.update(example_stages)
    STAGES["eval"] = write_eval_dir(tmp_path_factory.mktemp("deploy"), STAGES)
    return STAGES["eval"]


@pytest.fixture(scope="module")
def deployed(evaluated, tmp_path_factory):
    return deploy.run(evaluated, tmp_path_factory.mktemp("out") / "deploy")


def by_id(result) -> dict[int, dict]:
    doc = orjson.loads((result.output / "rollout.json").read_bytes())
    return {entry["id"]: entry for entry in doc["clusters"]}


def logged_costs(eval_dir: Path) -> dict[int, tuple[float, int, int]]:
    """Per cluster: sum of cost_usd, calls with a cost, all calls (read straight from Parquet)."""
    sums = defaultdict(lambda: [0.0, 0, 0])
    rows = open_input(eval_dir).read_table(["cluster_id", "cost_usd"]).to_pylist()
    for row in rows:
        entry = sums[row["cluster_id"]]
        entry[2] += 1
        if row["cost_usd"] is not None:
            entry[0] += row["cost_usd"]
            entry[1] += 1
    return {cid: tuple(v) for cid, v in sums.items()}


def test_manifest_validates_and_matches_its_yaml_twin(deployed):
    doc = orjson.loads((deployed.output / "rollout.json").read_bytes())

    assert rollout.problems(doc) == []
    assert yaml.safe_load((deployed.output / "rollout.yaml").read_text()) == doc
    assert doc["router"]["path"] == "router"
    assert doc["router"]["embedder"] == {
        "kind": "static",
        "model": "static-minilm",
        "path": "embedder",
    }
    router = TaskRouter.load(deployed.output / doc["router"]["path"])
    assert set(doc["router"]["cluster_ids"]) <= set(router.cluster_ids())
    assert (deployed.output / "clusters.json").read_bytes() == (
        STAGES["eval"] / "clusters.json"
    ).read_bytes()
    assert [s["stage"] for s in deployed.manifest["lineage"]][-3:] == ["finetune", "eval", "deploy"]


def test_a_cluster_above_its_gate_is_promoted_with_the_schedule(deployed):
    orders = by_id(deployed)[0]

    assert orders["decision"] == "promote"
    gate = orders["gate"]
    assert (gate["metric"], gate["k"], gate["n"], gate["passed"]) == (
        "tool_call_match",
        226,
        227,
        True,
    )
    assert gate["wilson_low"] == pytest.approx(wilson_low(226, 227))
    assert [s["name"] for s in orders["schedule"]] == ["shadow", "5%", "25%", "50%", "100%"]
    assert all(
        s["min_samples"] == 200 and s["max_invalid_rate"] == 0.02 for s in orders["schedule"]
    )
    assert [f["when"] for f in orders["fallback"]] == [
        "invalid_output",
        "schema_violation",
        "timeout",
    ]
    assert orders["adapter"] == "adapters/0" and orders["lora_name"] == "cluster-0@v1"
    copied = deployed.output / "adapters" / "0"
    assert orjson.loads((copied / "adapter_config.json").read_bytes())["r"] == 16
    assert (copied / "adapter_model.safetensors").is_file()
    text = by_id(deployed)[2]
    assert text["decision"] == "promote" and text["gate"]["metric"] == "text_similarity_match"
    assert [f["when"] for f in text["fallback"]] == ["invalid_output", "timeout"]


def test_a_cluster_below_its_gate_is_held_with_the_numbers(deployed):
    held = by_id(deployed)[3]

    assert held["decision"] == "hold"
    low = wilson_low(60, 72)
    assert held["reason"] == (
        f"text_similarity_match Wilson lower bound {low:.4f} (k/n = 60/72) < threshold 0.95"
    )
    assert held["gate"]["passed"] is False and held["schedule"] == []
    assert held["adapter"].endswith("finetune/adapters/3")  # left where eval found it
    assert not (deployed.output / "adapters" / "3").exists()
    mixed = by_id(deployed)[1]
    assert mixed["decision"] == "hold"
    assert mixed["reason"] == "text_similarity_match missing from eval.json"
    assert [c["metric"] for c in mixed["gate"]["checks"]] == [
        "tool_call_match",
        "text_similarity_match",
    ]


def test_noise_and_untrained_clusters_stay_on_the_llm_with_reasons(deployed):
    clusters = by_id(deployed)

    stays = {cid: e["reason"] for cid, e in clusters.items() if e["decision"] == "stay_on_llm"}
    assert set(stays) == {-1, 4, 5, 6}
    assert stays[-1].startswith("noise")
    assert clusters[-1]["fallback"][0]["when"] == "noise"
    assert stays[4] == "not fine-tuned: no example fits"
    assert stays[5].startswith("no eval result")
    assert stays[6] == "select: fewer than 200 records"
    assert deployed.counts == {
        "clusters": 7,
        "promoted": 2,
        "held": 2,
        "stays_on_llm": 3,
        "adapters_copied": 2,
        "servers": 1,
    }


def test_savings_are_the_logged_costs_and_add_up(deployed, evaluated):
    clusters = by_id(deployed)
    doc = orjson.loads((deployed.output / "rollout.json").read_bytes())
    logged = logged_costs(evaluated)

    for cid, entry in clusters.items():
        cost, priced, calls = logged[cid]
        block = entry["savings"]
        assert (block["calls"], block["priced_calls"]) == (calls, priced)
        if priced:
            assert block["llm_cost_usd"] == pytest.approx(cost, abs=1e-6)
        else:  # no call of the cluster logs a cost and there is no price table
            assert block["llm_cost_usd"] is None and block["saving_usd"] is None
    assert logged[1][1] == 0  # the demo's cluster 1 logs no cost at all
    orders = clusters[0]["savings"]
    bundled = catalog.load()  # select offered tiny-test only, so the price comes from the catalog
    price = bundled.get("Qwen3-0.6B").serving_cost(bundled.serving)
    assert orders["serving_usd_per_mtok"] == pytest.approx(price)
    assert orders["slm_cost_usd"] == pytest.approx(orders["priced_tokens"] * price / 1e6, abs=1e-6)
    # the LLM still answers the gateway's 5 % audits; eval saw no invalid output (226/227 match)
    assert orders["llm_calls_kept_share"] == pytest.approx(0.05)
    kept_cost = orders["llm_cost_usd"] * orders["llm_calls_kept_share"]
    assert orders["saving_usd"] == pytest.approx(
        orders["llm_cost_usd"] - kept_cost - orders["slm_cost_usd"], abs=1e-6
    )
    promoted = [e["savings"] for e in clusters.values() if e["decision"] == "promote"]
    held = [e["savings"] for e in clusters.values() if e["decision"] == "hold"]
    totals = doc["savings"]
    for key, blocks in (("promoted", promoted), ("if_all_held_promoted", promoted + held)):
        for field in ("calls", "llm_cost_usd", "slm_cost_usd", "saving_usd"):
            known = sum(b[field] for b in blocks if b[field] is not None)
            assert totals[key][field] == pytest.approx(known, abs=1e-6)
    everything = sum(cost for cost, _, _ in logged.values())
    assert totals["all_calls"]["llm_cost_usd"] == pytest.approx(everything, abs=1e-6)
    assert deployed.metrics["saving_usd"] == totals["promoted"]["saving_usd"]
    assert any("LLM cost known for" in w for w in deployed.warnings)


def test_monthly_figures_scale_every_call_to_thirty_days(deployed):
    doc = orjson.loads((deployed.output / "rollout.json").read_bytes())
    period = doc["savings"]["period"]
    orders = by_id(deployed)[0]["savings"]

    assert 29 < period["days"] < 31 and period["note"] is None
    assert period["monthly_factor"] == pytest.approx(30 / period["days"], rel=1e-5)
    per_call = orders["llm_cost_usd"] / orders["priced_calls"]
    expected = per_call * orders["calls"] * period["monthly_factor"]
    assert orders["monthly"]["llm_cost_usd"] == pytest.approx(expected, rel=1e-5)


def test_a_price_table_prices_the_calls_without_a_logged_cost(evaluated, tmp_path):
    config = DeployConfig(llm_price_in=3.0, llm_price_out=15.0)
    result = deploy.run(evaluated, tmp_path / "deploy", config)

    orders = by_id(result)[0]["savings"]
    assert orders["priced_calls"] == orders["calls"]
    assert orders["llm_cost_source"] == "logged + price table"
    logged, _, _ = logged_costs(evaluated)[0]
    assert orders["llm_cost_usd"] > logged
    assert not any("LLM cost known for" in w for w in result.warnings)


def test_vllm_script_serves_each_promoted_adapter_per_base(evaluated, tmp_path):
    result = deploy.run(evaluated, tmp_path / "deploy", DeployConfig(gate_threshold=0.7))

    script = (result.output / "serve" / "vllm.sh").read_text()
    assert result.output.joinpath("serve/vllm.sh").stat().st_mode & stat.S_IXUSR
    qwen, text_only = (vllm_arguments(c) for c in commands(script))
    assert qwen.model == "Qwen/Qwen3-0.6B"  # clusters 0 and 2; Qwen3-1.7B serves cluster 3
    assert qwen.lora_modules == ["cluster-0@v1=adapters/0", "cluster-2@v1=adapters/2"]
    assert qwen.max_lora_rank == 16 and qwen.enable_lora
    assert qwen.tool_call_parser == "hermes"  # cluster 0 calls tools
    assert (text_only.model, text_only.port, text_only.max_lora_rank) == (
        "Qwen/Qwen3-1.7B",
        8001,
        32,
    )
    for cid in (0, 2, 3):
        assert (result.output / "adapters" / str(cid) / "adapter_config.json").is_file()


def test_litellm_config_routes_promoted_clusters_with_fallbacks(deployed):
    config = yaml.safe_load((deployed.output / "serve" / "litellm.yaml").read_text())

    groups = defaultdict(list)
    for model in config["model_list"]:
        groups[model["model_name"]].append(model["litellm_params"])
    assert set(groups) == {"llm", "cluster-0", "cluster-2", "slm-cluster-0", "slm-cluster-2"}
    assert groups["llm"] == [{"model": "meta/llama-3.3-70b-instruct"}]  # the most logged model
    assert groups["cluster-0"] == groups["llm"]  # first step: shadow, the LLM answers
    slm = groups["slm-cluster-0"][0]
    assert slm["model"] == "hosted_vllm/cluster-0@v1"
    assert slm["api_base"] == "http://localhost:8000/v1" and slm["timeout"] == 2.0
    assert {"cluster-0": ["llm"]} in config["router_settings"]["fallbacks"]


def test_first_step_above_zero_splits_traffic_by_weight(evaluated, tmp_path):
    config = DeployConfig(schedule=[10, 50, 100], llm_model="openai/gpt-4o")
    result = deploy.run(evaluated, tmp_path / "deploy", config)

    litellm = yaml.safe_load((result.output / "serve" / "litellm.yaml").read_text())
    weights = {
        m["litellm_params"]["model"]: m["litellm_params"]["weight"]
        for m in litellm["model_list"]
        if m["model_name"] == "cluster-0"
    }
    assert weights == {"hosted_vllm/cluster-0@v1": 10, "openai/gpt-4o": 90}
    assert [s["name"] for s in by_id(result)[0]["schedule"]] == ["10%", "50%", "100%"]


def test_summary_lists_each_decision(deployed):
    from rich.console import Console

    console = Console(width=200, record=True)
    for item in summary(deployed):
        console.print(item)
    text = console.export_text()

    assert "promote" in text and "hold" in text and "stay on llm" in text
    assert f"tool_call_match {wilson_low(226, 227):.3f} ≥ 0.95 (226/227)" in text
    assert f"text_similarity_match {wilson_low(60, 72):.3f} < 0.95 (60/72)" in text


def test_existing_output_needs_force(evaluated, deployed):
    with pytest.raises(OutputExistsError):
        deploy.run(evaluated, deployed.output)
    again = deploy.run(evaluated, deployed.output, force=True)
    assert again.counts == deployed.counts


def test_refuses_a_non_eval_directory_and_a_missing_adapter(evaluated, tmp_path):
    with pytest.raises(InputError, match="expected the output of eval"):
        deploy.run(STAGES["select"], tmp_path / "a")
    moved = shutil.copytree(evaluated, tmp_path / "eval")
    doc = orjson.loads((moved / "eval.json").read_bytes())
    doc["clusters"][0]["adapter"] = str(tmp_path / "gone")
    (moved / "eval.json").write_bytes(orjson.dumps(doc))
    with pytest.raises(InputError, match="adapter directory of cluster 0 not found"):
        deploy.run(moved, tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_the_router_is_found_through_the_inputs_when_eval_did_not_copy_it(evaluated, tmp_path):
    moved = shutil.copytree(evaluated, tmp_path / "eval")
    shutil.rmtree(moved / "router")
    with pytest.raises(InputError, match="no router/ here nor in the stages"):
        deploy.run(moved, tmp_path / "a")
    manifest = orjson.loads((moved / "manifest.json").read_bytes())
    manifest["inputs"] = [
        {"path": str(STAGES["cluster"]), "stage": "cluster", "manifest_hash": "x"}
    ]
    (moved / "manifest.json").write_bytes(orjson.dumps(manifest))

    result = deploy.run(moved, tmp_path / "b")

    copied = result.output / "router" / "router.json"
    assert copied.read_bytes() == (STAGES["cluster"] / "router" / "router.json").read_bytes()
    assert any("router/ read from an earlier stage" in w for w in result.warnings)


def test_an_eval_directory_from_before_the_router_is_refused(evaluated, tmp_path):
    moved = shutil.copytree(evaluated, tmp_path / "eval")
    doc = orjson.loads((moved / "clusters.json").read_bytes())
    doc.pop("router")
    doc["embedder"] = {"model": "all-MiniLM-L6-v2", "noise_max_distance": 0.35}
    (moved / "clusters.json").write_bytes(orjson.dumps(doc))

    with pytest.raises(InputError, match="older slmconvert.*re-run from `slmconvert cluster`"):
        deploy.run(moved, tmp_path / "a")


def test_a_corrupt_router_is_one_error_naming_the_file(evaluated, tmp_path):
    moved = shutil.copytree(evaluated, tmp_path / "eval")
    (moved / "router" / "router.safetensors").write_bytes(b"not safetensors")

    with pytest.raises(InputError, match=r"router\.safetensors: not a readable safetensors"):
        deploy.run(moved, tmp_path / "a")
