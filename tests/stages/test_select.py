"""`slmconvert select`: per cluster, the smallest catalog models that meet its needs, with reasons."""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pytest

from slmconvert import catalog
from slmconvert.catalog import match, memory
from slmconvert.core.config import SelectConfig, plain
from slmconvert.core.errors import ConfigError, InputError
from slmconvert.core.records import message, new_record, tool, tool_call
from slmconvert.core.stagedir import StageOutput, open_input
from slmconvert.stages import select

SOURCE = {"format": "openai", "file": "agent.jsonl", "line": 1}
ORDER_TOOL = tool(
    "get_order",
    "Look up an order by id",
    {"type": "object", "properties": {"order_id": {"type": "string"}}},
)
LINEAGE = [
    {"stage": "collect", "config_hash": "c0"},
    {"stage": "pii", "config_hash": "p0"},
]


def order_call(i: int) -> dict:
    """English, tool-calling, short: the kind of call a 0.6B model can take over."""
    return new_record(
        source={**SOURCE, "line": i},
        messages=[
            message("system", "You are the shop assistant."),
            message("user", f"Where is my order number {i}? Can you check the status for me?"),
        ],
        tools=[ORDER_TOOL],
        response=message("assistant", tool_calls=[tool_call("get_order", {"order_id": str(i)})]),
        input_tokens=300 + i,
        output_tokens=30,
    )


def contract_call(i: int) -> dict:
    """Long prompts (~40k tokens logged): needs more context than 32k models have."""
    return new_record(
        source={**SOURCE, "line": 1000 + i},
        messages=[message("user", f"Review contract {i} and list the risks in the clauses.")],
        response=message("assistant", f"Contract {i}: the indemnity clause is uncapped."),
        input_tokens=40_000 + i,
        output_tokens=500,
    )


def german_call(i: int) -> dict:
    """German prompts with no usage: tokens are estimated, German is required."""
    return new_record(
        source={**SOURCE, "line": 2000 + i},
        messages=[
            message(
                "user",
                f"Hallo, ich habe eine Frage zu meiner Rechnung {i}. Bitte sagen Sie mir, wie "
                "ich die Adresse ändern kann.",
            )
        ],
        response=message("assistant", f"Die Rechnung {i} können Sie im Kundenkonto ändern."),
    )


def rare_call(i: int) -> dict:
    return new_record(
        source={**SOURCE, "line": 3000 + i},
        messages=[message("user", f"Write a haiku about the number {i}, please.")],
        response=message("assistant", f"Number {i} / quietly counting / the shop is closed"),
        input_tokens=40,
        output_tokens=20,
    )


def noise_call(i: int) -> dict:
    return new_record(
        source={**SOURCE, "line": 4000 + i},
        messages=[message("user", f"Random question {i} about the weather and the shop?")],
        response=message("assistant", f"Answer {i}."),
        input_tokens=20,
        output_tokens=5,
    )


CLUSTERS = [
    (0, "order status", order_call, 80),
    (1, "contract review", contract_call, 80),
    (2, "german billing", german_call, 70),
    (3, "haiku", rare_call, 10),
    (-1, None, noise_call, 7),
]


def write_cluster_dir(out: Path, lineage: list[dict] = LINEAGE) -> Path:
    """A cluster-stage directory through the real writer: records with cluster_id/split."""
    records, profiles = [], []
    for cid, label, make, n in CLUSTERS:
        members = []
        for i in range(n):
            rec = make(i)
            rec["cluster_id"] = cid
            rec["split"] = "eval" if i % 5 == 4 else "train"
            members.append(rec)
        records.extend(members)
        if cid >= 0:
            profiles.append(
                {
                    "id": cid,
                    "label": label,
                    "size": n,
                    "share": n / 247,
                    "keywords": [],
                    "tools": [],
                    "answer_kinds": {},
                    "input_tokens": {"p50": 0, "p95": 0},
                    "output_tokens": {"p50": 0, "p95": 0},
                    "tool_call_share": 0.0,
                    "cost_share": None,
                    "examples": [r["id"] for r in members[:3]],
                    "centroid": [0.0, 1.0],
                }
            )
    with StageOutput(out, "cluster", {"seed": 0}, lineage=lineage) as stage:
        stage.records().write(records)
        doc = {
            "embedder": {"name": "all-MiniLM-L6-v2"},
            "clusters": profiles,
            "noise": {"size": 7, "share": 7 / 247},
        }
        (stage.path / "clusters.json").write_bytes(orjson.dumps(doc))
    return out


@pytest.fixture(scope="module")
def clustered(tmp_path_factory) -> Path:
    return write_cluster_dir(tmp_path_factory.mktemp("select") / "cluster")


def run(clustered: Path, tmp_path: Path, **settings) -> tuple[dict, dict]:
    """Run select; return the manifest counts and the selection per cluster id."""
    result = select.run(clustered, tmp_path / "select", SelectConfig(**settings))
    doc = orjson.loads((result.output / "selection.json").read_bytes())
    return result.counts, {entry["id"]: entry for entry in doc["clusters"]}


def names(models: list[dict]) -> list[str]:
    return [m["model"] for m in models]


def test_select_ranks_the_smallest_fitting_models_first(clustered, tmp_path):
    counts, by_id = run(clustered, tmp_path)

    orders = by_id[0]
    assert orders["decision"] == "specialise"
    assert names(orders["candidates"]) == ["Qwen3-0.6B", "Llama-3.2-1B-Instruct", "Qwen3-1.7B"]
    assert [c["rank"] for c in orders["candidates"]] == [1, 2, 3]
    assert "the smallest that meets the needs" in orders["candidates"][0]["reasons"][0]
    assert orders["also_fit"] and all("below --top-k" in a["reason"] for a in orders["also_fit"])
    req = orders["requirements"]
    assert req["tool_calling"] and req["tool_call_share"] == 1.0
    assert req["languages"] == {"en": 1.0} and req["complexity"]["level"] == "simple"
    assert req["train_records"] == 64 and not req["tokens_estimated"]
    assert counts == {
        "records": 247,
        "clusters": 4,
        "clusters_with_candidates": 3,
        "stays_on_llm": 1,
        "noise_records": 7,
    }


def test_output_holds_the_same_records_and_clusters_json(clustered, tmp_path):
    result = select.run(clustered, tmp_path / "select")

    out = open_input(result.output, expect=("select",))
    before = open_input(clustered).read_table().to_pylist()
    assert out.read_table().to_pylist() == before
    assert (result.output / "clusters.json").read_bytes() == (
        clustered / "clusters.json"
    ).read_bytes()
    assert [step["stage"] for step in out.lineage] == ["collect", "pii", "cluster", "select"]
    roles = [entry.get("role") for entry in out.manifest["inputs"]]
    assert roles == [None, "catalog"]


def test_long_prompts_reject_short_context_models(clustered, tmp_path):
    _, by_id = run(clustered, tmp_path)

    contracts = by_id[1]
    need = contracts["requirements"]["context_tokens"]["p95"]
    assert need > 32_768
    rejected = {r["model"]: r["reasons"] for r in contracts["rejected"]}
    for short in ("Qwen3-0.6B", "Qwen3-1.7B", "Qwen3-4B", "Mistral-7B-Instruct-v0.3"):
        assert f"context 32,768 tokens < {need:,} needed (p95 prompt + answer)" in rejected[short]
    assert contracts["candidates"]
    assert all(c["context_length"] >= need for c in contracts["candidates"])
    assert names(contracts["candidates"])[0] == "Llama-3.2-1B-Instruct"


def test_licence_allow_list_filters(clustered, tmp_path):
    _, by_id = run(clustered, tmp_path, licenses=["Apache-2.0, mit"])

    for entry in by_id.values():
        assert all(c["license"] in ("apache-2.0", "mit") for c in entry["candidates"])
    rejected = {r["model"]: r["reasons"] for r in by_id[0]["rejected"]}
    assert "licence llama3.2 not in --licenses Apache-2.0,mit" in rejected["Llama-3.2-1B-Instruct"]
    assert names(by_id[0]["candidates"]) == ["Qwen3-0.6B", "Qwen3-1.7B", "SmolLM3-3B"]


def test_memory_budget_filters_on_estimated_training_memory(clustered, tmp_path):
    _, by_id = run(
        clustered, tmp_path, gpu_memory_gb=4.0, top_k=20, train_batch_size=1, train_seq_len=512
    )
    models = {spec.name: spec for spec in catalog.load().models}

    for entry in by_id.values():
        for cand in entry["candidates"]:
            assert cand["train_memory_gb"] <= 4.0
            assert (cand["train_batch_size"], cand["train_seq_len"]) == (1, 512)
            setup = memory.TrainSetup(micro_batch=1, seq_len=512)
            expected = models[cand["model"]].train_gb(setup)
            assert cand["train_memory_gb"] == pytest.approx(expected, abs=0.01)
    rejected = {r["model"]: r["reasons"] for r in by_id[0]["rejected"]}
    assert any("--gpu-memory-gb 4" in r for r in rejected["Llama-3.1-8B-Instruct"])
    assert "Qwen3-0.6B" in names(by_id[0]["candidates"])
    # 40k-token calls are trained at 512 tokens: they fit, and every candidate says what is lost
    assert all("training sequence length 512" in " ".join(c["notes"])
               for c in by_id[1]["candidates"])  # fmt: skip
    manifest = orjson.loads((tmp_path / "select" / "manifest.json").read_bytes())
    assert any("exceeds --train-seq-len 512" in w for w in manifest["warnings"])


def test_max_params_filters(clustered, tmp_path):
    _, by_id = run(clustered, tmp_path, max_params=2)

    assert all(c["params_b"] <= 2 for c in by_id[0]["candidates"])
    rejected = {r["model"]: r["reasons"] for r in by_id[0]["rejected"]}
    assert "8.03B parameters > --max-params 2B" in rejected["Llama-3.1-8B-Instruct"]


def test_every_decision_carries_a_reason(clustered, tmp_path):
    _, by_id = run(clustered, tmp_path, licenses=["apache-2.0"], gpu_memory_gb=8)

    for entry in by_id.values():
        assert entry["decision"] in ("specialise", "stays_on_llm") and entry["reason"]
        for cand in entry["candidates"]:
            assert cand["reasons"] and all(cand["reasons"])
        for rej in entry.get("rejected", []):
            assert rej["reasons"] and all(rej["reasons"])
        for also in entry.get("also_fit", []):
            assert also["reason"]


def test_noise_and_small_clusters_stay_on_the_llm(clustered, tmp_path):
    _, by_id = run(clustered, tmp_path)

    assert by_id[-1]["decision"] == "stays_on_llm"
    assert by_id[-1]["reason"].startswith("noise")
    assert by_id[3]["decision"] == "stays_on_llm"
    assert by_id[3]["reason"] == "8 training records < --min-records 50"
    assert by_id[3]["candidates"] == []
    _, relaxed = run(clustered, tmp_path / "relaxed", min_records=5)
    assert relaxed[3]["decision"] == "specialise"


def test_tool_calling_clusters_reject_models_without_native_tools(clustered, tmp_path):
    _, by_id = run(clustered, tmp_path)

    rejected = {r["model"]: r["reasons"] for r in by_id[0]["rejected"]}
    assert rejected["gemma-3n-E2B-it"] == [
        "no native tool calling in its chat template; 100% of answers call tools"
    ]
    assert not by_id[2]["requirements"]["tool_calling"]
    assert "gemma-3n-E2B-it" in names(by_id[2]["candidates"]) + names(by_id[2]["also_fit"])


def test_tokens_are_estimated_from_characters_without_usage(clustered, tmp_path):
    _, by_id = run(clustered, tmp_path)

    req = by_id[2]["requirements"]
    assert req["tokens_estimated"] and req["tokens_estimated_share"] == 1.0
    prompts = sorted(
        math.ceil(len(german_call(i)["messages"][0]["content"]) / 4) for i in range(70)
    )
    assert req["prompt_tokens"]["max"] == prompts[-1]
    assert req["languages"] == {"de": 1.0} and req["required_languages"] == ["de"]
    rejected = {r["model"]: r["reasons"] for r in by_id[2]["rejected"]}
    assert rejected["Mistral-7B-Instruct-v0.3"] == ["card does not list 'de' (100% of prompts)"]
    assert "Qwen3-0.6B" in names(by_id[2]["candidates"])


def test_test_models_are_candidates_only_when_allowed(clustered, tmp_path):
    _, default = run(clustered, tmp_path / "a")
    rejected = {r["model"]: r["reasons"] for r in default[0]["rejected"]}
    assert rejected["tiny-test"] == [
        "test-only model; pass --models tiny-test or --include-test-models"
    ]

    _, only_tiny = run(clustered, tmp_path / "b", models=["TINY-TEST"])
    assert names(only_tiny[0]["candidates"]) == ["tiny-test"]
    others = {r["model"]: r["reasons"] for r in only_tiny[0]["rejected"]}
    assert others["Qwen3-0.6B"] == ["not in --models"]

    _, included = run(clustered, tmp_path / "c", include_test_models=True)
    assert names(included[0]["candidates"])[0] == "tiny-test"


def test_unknown_model_name_lists_the_known_ones(clustered, tmp_path):
    with pytest.raises(ConfigError) as err:
        select.run(clustered, tmp_path / "out", SelectConfig(models=["gpt-9"]))
    assert "no model named 'gpt-9'" in str(err.value)
    assert "Qwen3-0.6B" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_input_must_be_a_scrubbed_cluster_stage(tmp_path):
    raw = write_cluster_dir(tmp_path / "raw", lineage=[{"stage": "collect", "config_hash": "c"}])
    with pytest.raises(InputError, match="slmconvert pii"):
        select.run(raw, tmp_path / "out")
    result = select.run(raw, tmp_path / "out", SelectConfig(allow_unscrubbed=True))
    assert result.manifest["config"]["allow_unscrubbed"] is True

    with StageOutput(tmp_path / "collected", "collect", {}) as out:
        out.records().write([order_call(1)])
    with pytest.raises(InputError, match="expected the output of cluster"):
        select.run(tmp_path / "collected", tmp_path / "out2")


def test_cli_select_prints_the_table_and_writes_selection(clustered, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")
    result = cli("select", clustered, "-o", tmp_path / "out", "--licenses", "apache-2.0,mit")

    assert result.exit_code == 0, result.output
    assert "select →" in result.stdout
    assert "1. Qwen3-0.6B" in result.stdout
    assert "stays on LLM" in result.stdout
    assert "licence" in result.stdout
    doc = orjson.loads((tmp_path / "out" / "selection.json").read_bytes())
    assert doc["constraints"]["licenses"] == ["apache-2.0", "mit"]


def test_cli_malformed_catalog_is_one_line_naming_file_and_field(clustered, tmp_path, cli):
    text = catalog.DEFAULT_PATH.read_text().replace("context_length: 32768", "context_length: 0", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    line = text.splitlines().index("    context_length: 0") + 1

    result = cli("select", clustered, "-o", tmp_path / "out", "--catalog", bad)

    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {bad}:{line}: models[0].context_length: must be > 0")
    assert not (tmp_path / "out").exists()


def test_cli_select_help(cli):
    result = cli("select", "--help")
    assert result.exit_code == 0
    for option in ("--catalog", "--max-params", "--gpu-memory-gb", "--licenses", "--top-k"):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Where is my order? Can you check the status for me please?", "en"),
        ("Wo ist meine Bestellung? Bitte sagen Sie mir, wie ich sie finde.", "de"),
        ("Où est ma commande ? Merci de vérifier pour moi dans le système.", "fr"),
        ("注文はどこですか？確認してください。", "ja"),
        ("Где мой заказ? Проверьте, пожалуйста.", "ru"),
        ("ORD-1234 SKU-99", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text, lang):
    assert select.detect_language(text) == lang


def test_complex_clusters_rank_models_below_the_suggested_size_last():
    stats = select.ClusterStats()
    for i in range(60):
        rec = order_call(i)
        rec["usage"]["output_tokens"] = 2000  # long answers make the cluster complex
        rec.update(cluster_id=0, split="train")
        stats.add(rec)
    req = stats.requirements()
    assert req["complexity"]["level"] == "complex"
    assert req["complexity"]["suggested_min_params_b"] == 3.0

    criteria = plain(match.Criteria, SelectConfig(top_k=20))
    entry = match.decide(0, "long", req, catalog.load(), criteria, None)

    ranked = entry["candidates"]
    sizes = [c["params_b"] for c in ranked if not c["below_suggested_size"]]
    assert sizes == sorted(sizes) and min(sizes) >= 3.0
    assert ranked[0]["model"] == "SmolLM3-3B"
    below = [c for c in ranked if c["below_suggested_size"]]
    assert names(below) == ["Qwen3-0.6B", "Llama-3.2-1B-Instruct", "Qwen3-1.7B"]
    assert ranked[-len(below) :] == below
    assert "below the 3B suggested for complex clusters" in below[0]["notes"][0]


def test_select_sizes_training_the_way_finetune_trains_by_default():
    from slmconvert.core.config import FinetuneConfig

    select_defaults, finetune_defaults = SelectConfig(), FinetuneConfig()
    assert select_defaults.train_seq_len == finetune_defaults.max_seq_len
    assert select_defaults.train_batch_size == finetune_defaults.batch_size
    assert select_defaults.lora_r == finetune_defaults.lora_r
