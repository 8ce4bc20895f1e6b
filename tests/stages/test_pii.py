"""`slmconvert pii`: no injected personal value survives anywhere in OUT, stdout or stderr."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from slmconvert.core.config import ClusterConfig, PiiConfig
from slmconvert.core.stagedir import open_input
from slmconvert.stages import cluster, collect, pii

EMAIL = "marguerite.okafor@example.net"
PHONE = "+1 415-555-0187"
PHONE_INT = 4155550143
CARD = "4111 1111 1111 1111"
OPENAI_KEY = "sk-proj-Zq3xV9tLmN2bR7cY5wK8pJ4hG6fD1sA0eU"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
CUSTOMER = "CUST-884213"
INJECTED = [EMAIL, PHONE, str(PHONE_INT), CARD, OPENAI_KEY, AWS_KEY, CUSTOMER]
ORDINARY = ["ORD-2025-004812", "SKU-88321", "2025-05-01T10:00:00Z", "$129.99", "1Z999AA10123456784"]


def call(i: int) -> dict:
    """An order-status call holding personal data in every location a record has."""
    args = {"email": EMAIL, "phone": PHONE_INT, "order_id": "ORD-2025-004812", "n": i}
    result = {"status": "shipped", "contact": EMAIL, "card": CARD, "sku": "SKU-88321"}
    return {
        "request": {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": f"Customer {CUSTOMER} is signed in as {EMAIL}."},
                {"role": "user", "content": f"Call me on {PHONE} about order ORD-2025-004812 #{i}"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"c{i}",
                            "type": "function",
                            "function": {"name": "get_order", "arguments": json.dumps(args)},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": f"c{i}", "content": json.dumps(result)},
            ],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_order",
                        "description": f"Look up orders. Escalations go to {EMAIL}.",
                        "parameters": {
                            "type": "object",
                            "properties": {"order_id": {"type": "string"}},
                        },
                    },
                }
            ],
        },
        "response": {
            "object": "chat.completion",
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": f"Shipped at 2025-05-01T10:00:00Z for $129.99, tracking "
                        f"1Z999AA10123456784. Debug: key {OPENAI_KEY} / {AWS_KEY}",
                    }
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("pii")
    log = base / "calls.jsonl"
    log.write_bytes(b"".join(orjson.dumps(call(i)) + b"\n" for i in range(12)))
    collect.run([str(log)], base / "collect")
    return base / "collect"


def every_byte(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


def test_no_injected_value_survives_in_any_output_file_or_stream(collected, cli, tmp_path):
    raw = every_byte(collected)
    assert b"4111" in raw or EMAIL.encode() in raw  # the raw records did hold them (zstd aside)
    result = cli(
        "pii", collected, "-o", tmp_path / "out", "--recognizer", r"CUSTOMER_ID=CUST-\d{6}"
    )
    assert result.exit_code == 0, result.output
    text_out = (tmp_path / "out" / "manifest.json").read_bytes()
    records = open_input(tmp_path / "out").read_table().to_pylist()
    dumped = orjson.dumps(records)
    for value in INJECTED:
        assert value.encode() not in dumped, value
        assert value.encode() not in text_out
        assert value not in result.stdout and value not in result.stderr
    assert "NER is off" in result.stdout


def test_scrubbed_records_stay_coherent_and_ordinary_values_survive(collected, tmp_path):
    config = PiiConfig(
        recognizers=[{"entity": "CUSTOMER_ID", "regex": r"CUST-\d{6}", "score": 0.9}]
    )
    result = pii.run(collected, tmp_path / "out", config)
    rec = open_input(tmp_path / "out").read_table().to_pylist()[0]

    system = rec["messages"][0]["content"]
    assert system == "Customer <CUSTOMER_ID_1> is signed in as <EMAIL_ADDRESS_1>."
    args = json.loads(rec["messages"][2]["tool_calls"][0]["arguments"])
    assert args["email"] == "<EMAIL_ADDRESS_1>"  # the same value, the same placeholder
    assert args["phone"].startswith("<PHONE_NUMBER_")  # an integer phone counts too
    assert args["order_id"] == "ORD-2025-004812"
    tool_result = json.loads(rec["messages"][3]["content"])
    assert tool_result["card"] == "<CREDIT_CARD_1>" and tool_result["sku"] == "SKU-88321"
    answer = rec["response"]["content"]
    for value in ORDINARY[2:]:
        assert value in answer
    assert "<EMAIL_ADDRESS_1>" in rec["tools"][0]["description"]

    counts = result.counts
    assert counts["records_touched"] == counts["records_in"] == 12
    assert counts["entities"]["EMAIL_ADDRESS"] >= 12 * 4
    assert set(counts["locations"]) >= {"system", "user", "arguments", "results", "assistant"}
    assert result.manifest["lineage"][-1]["stage"] == "pii"


def test_the_manifest_and_summary_name_each_types_detectors_and_measured_recall(
    collected, cli, tmp_path
):
    result = cli("pii", collected, "-o", tmp_path / "out")

    info = orjson.loads((tmp_path / "out" / "manifest.json").read_bytes())["pii"]
    rows = {row["entity"]: row for row in info["detectors"]}
    assert "SlmconvertNameRecognizer" in rows["PERSON"]["detectors"]
    assert "SlmconvertPlaceRecognizer" in rows["LOCATION"]["detectors"]
    assert {"PhoneRecognizer", "SlmconvertPhoneShapeRecognizer"} <= set(
        rows["PHONE_NUMBER"]["detectors"]
    )
    assert rows["PERSON"]["measured_recall"]["latin"] >= 0.95
    assert rows["STRIPE_KEY"]["measured_recall"]["all"] == 1.0
    assert rows["MAC_ADDRESS"]["measured_recall"] is None  # not in the corpus: not claimed
    assert info["gazetteers"] == ["names", "places"]
    assert info["measured_with"]["by"] == "bench/pii_eval.py"
    assert "measured recall" in result.stdout and "PlaceRecognizer" not in result.stdout


def test_ids_are_recomputed_from_scrubbed_content(collected, tmp_path):
    result = pii.run(collected, tmp_path / "out")
    from slmconvert.core.records import id_of

    rows = open_input(tmp_path / "out").read_table().to_pylist()
    assert all(r["id"] == id_of(r) for r in rows)
    before = {r["id"] for r in open_input(collected).read_table().to_pylist()}
    assert not before & {r["id"] for r in rows}
    assert result.counts["records"] == 12


def test_running_twice_gives_identical_records(collected, tmp_path):
    for name in ("a", "b"):
        pii.run(collected, tmp_path / name, PiiConfig(mode="surrogate", seed=3))
    assert every_byte(tmp_path / "a" / "data") == every_byte(tmp_path / "b" / "data")
    rows = open_input(tmp_path / "a").read_table().to_pylist()
    assert EMAIL not in rows[0]["messages"][0]["content"]
    assert "@" in rows[0]["messages"][0]["content"]  # a realistic fake, not a placeholder


def test_drop_mode_drops_records_holding_the_listed_types(collected, tmp_path):
    result = pii.run(
        collected, tmp_path / "out", PiiConfig(mode="drop", drop_entities=["CREDIT_CARD"])
    )
    assert result.counts["records_dropped"] == 12
    assert result.counts["records"] == 0


def test_later_stages_accept_scrubbed_input(collected, tmp_path):
    pii.run(collected, tmp_path / "pii")
    result = cluster.run(tmp_path / "pii", tmp_path / "cluster", ClusterConfig(no_cache=True))
    assert [s["stage"] for s in result.manifest["lineage"]] == ["collect", "pii", "cluster"]
    assert "allow_unscrubbed" not in result.manifest
