"""The rollout manifest is checked against the JSON Schema that ships in the package."""

from __future__ import annotations

import copy

import pytest

from slmconvert.core.config import DeployConfig, plain
from slmconvert.core.errors import StageError
from slmconvert.core.records import message, new_record
from slmconvert.deploy import plan, rollout, savings

ROUTER = {
    "settings": {
        "embedder": {"kind": "static", "model": "static-minilm", "path": "embedder"},
        "signature": ["tools", "system", "user", "workload"],
    }
}


def records() -> list[dict]:
    out = []
    for i in range(40):
        rec = new_record(
            source={"format": "openai", "file": "a.jsonl", "line": i},
            messages=[message("user", f"question {i}")],
            response=message("assistant", f"answer {i}"),
            input_tokens=500,
            output_tokens=50,
            cost_usd=0.002,
            model="gpt-4o",
            timestamp=f"2025-05-{1 + i % 28:02d}T10:00:00Z",
        )
        rec["cluster_id"] = [0, 1, -1][i % 3]
        out.append(rec)
    return out


def eval_entry(cid: int, k: int, n: int, low: float) -> dict:
    return {
        "id": cid,
        "model": "Qwen3-0.6B",
        "base": "Qwen/Qwen3-0.6B",
        "adapter": f"/runs/finetune/adapters/{cid}",
        "kind": "adapter",
        "answer_kinds": {"tool_calls": 0, "text": n},
        "after": {"text_similarity_match": {"k": k, "n": n, "rate": k / n, "wilson_low": low}},
    }


@pytest.fixture(scope="module")
def manifest() -> dict:
    docs = plan.EvalDocs(
        clusters={"router": "router/", "clusters": [{"id": 0, "label": "faq"}, {"id": 1}]},
        selection={"catalog": {}, "clusters": [
            {"id": 0, "decision": "specialise", "candidates": [
                {"model": "Qwen3-0.6B", "hub_id": "Qwen/Qwen3-0.6B", "serving_usd_per_mtok": 0.03}
            ]},
        ]},
        finetune={"clusters": [], "skipped": []},
        eval={"clusters": [eval_entry(0, 200, 200, 0.981), eval_entry(1, 150, 200, 0.686)]},
        router=ROUTER,
    )  # fmt: skip
    traffic = savings.tally([records()])
    return plan.build(docs, traffic, plain(plan.RolloutPolicy, DeployConfig()), "router").doc


def test_a_built_manifest_is_valid(manifest):
    assert rollout.problems(manifest) == []
    rollout.validate(manifest)
    decisions = {c["id"]: c["decision"] for c in manifest["clusters"]}
    assert decisions == {0: "promote", 1: "hold", -1: "stay_on_llm"}


@pytest.mark.parametrize(
    ("break_it", "where"),
    [
        (lambda d: d["clusters"][0].update(decision="maybe"), "clusters/0/decision"),
        (lambda d: d["clusters"][0]["gate"].update(passed=False), "clusters/0/gate/passed"),
        (lambda d: d["clusters"][0].update(schedule=[]), "clusters/0/schedule"),
        (lambda d: d["clusters"][2].update(decision="hold"), "clusters/2/decision"),
        (lambda d: d["clusters"][0]["schedule"][1].update(percent=150), "schedule/1/percent"),
        (lambda d: d["clusters"][0]["fallback"][-1].pop("timeout_ms"), "fallback/1"),
        (lambda d: d["savings"].pop("promoted"), "savings"),
        (lambda d: d["router"].update(signature=["answer_kind"]), "router/signature"),
    ],
)
def test_a_broken_manifest_is_rejected(manifest, break_it, where):
    doc = copy.deepcopy(manifest)
    break_it(doc)

    found = rollout.problems(doc)

    assert found and any(where in p for p in found)
    with pytest.raises(StageError, match="not valid against rollout.schema.json"):
        rollout.validate(doc)


def test_rejection_messages_do_not_quote_values(manifest):
    doc = copy.deepcopy(manifest)
    doc["clusters"][0]["label"] = {"secret": "jane.doe@example.com"}

    with pytest.raises(StageError) as caught:
        rollout.validate(doc)

    assert "clusters/0/label" in str(caught.value) and "jane.doe" not in str(caught.value)


def test_yaml_and_json_texts_hold_the_same_document(manifest):
    import orjson
    import yaml

    assert yaml.safe_load(rollout.to_yaml(manifest)) == orjson.loads(rollout.to_json(manifest))
    assert "&id" not in rollout.to_yaml(manifest)  # no YAML anchors for shared lists
