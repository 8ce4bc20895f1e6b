import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
SYSTEM = "You are a travel assistant. Use get_weather for forecasts."


def payloads():
    lines = (FIXTURES / "litellm.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def parse(obj, line=1):
    return list(get("litellm").parse(obj, ParseContext("litellm", "spend.jsonl", line)))


def record(obj):
    (rec,) = parse(obj)
    assert isinstance(rec, dict)
    return rec


def payload(**fields):
    base = {
        "id": "p-1",
        "call_type": "completion",
        "status": "success",
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "response": {"choices": [{"message": {"role": "assistant", "content": "hello"}}]},
        "response_cost": 0.001,
        "startTime": 1718100000.0,
        "endTime": 1718100000.25,
    }
    return {**base, **fields}


def test_every_fixture_payload_is_detected_as_litellm_not_openai():
    for obj in payloads():
        assert detect(obj).name == "litellm"


def test_tool_call_response_with_tools_in_model_parameters():
    rec = record(payloads()[0])
    assert rec["source"] == {"format": "litellm", "file": "spend.jsonl", "line": 1}
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [
        ("system", SYSTEM),
        ("user", "Weather in Tokyo?"),
    ]
    assert rec["response"]["role"] == "assistant"
    assert rec["response"]["content"] is None
    assert rec["response"]["tool_calls"] == [
        {"id": "call_ll1", "name": "get_weather", "arguments": '{"city":"Tokyo"}'}
    ]
    (tool,) = rec["tools"]
    assert tool["name"] == "get_weather"
    assert tool["description"] == "Current weather for a city."
    assert json.loads(tool["parameters"])["properties"]["unit"]["enum"] == ["c", "f"]
    assert rec["model"] == "gpt-4o-mini-2024-07-18"
    assert rec["usage"] == {"input_tokens": 90, "output_tokens": 15}
    assert rec["cost_usd"] == pytest.approx(0.0000225)
    assert rec["timestamp"] == "2024-06-11T10:00:00.250000Z"
    assert rec["latency_ms"] == pytest.approx(875.0, abs=0.01)


def test_tool_result_history_with_top_level_tools():
    rec = record(payloads()[1])
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    assert rec["messages"][2]["tool_calls"][0]["arguments"] == '{"city":"Tokyo"}'
    assert rec["messages"][3]["tool_call_id"] == "call_ll1"
    assert rec["messages"][3]["content"] == "27°C, humid"
    assert rec["response"]["content"] == "Tokyo is 27°C and humid."
    assert [t["name"] for t in rec["tools"]] == ["get_weather"]
    assert rec["usage"] == {"input_tokens": 121, "output_tokens": 10}
    assert rec["cost_usd"] == pytest.approx(0.00002415)
    assert rec["latency_ms"] == pytest.approx(500.0, abs=0.01)


def test_tokens_fall_back_to_response_usage():
    obj = payload()
    obj["response"]["usage"] = {"prompt_tokens": 3, "completion_tokens": 1}
    rec = record(obj)
    assert rec["model"] == "gpt-4o-mini"
    assert rec["usage"] == {"input_tokens": 3, "output_tokens": 1}
    assert rec["cost_usd"] == pytest.approx(0.001)


def test_failed_and_non_chat_calls_are_ignored():
    assert parse(payload(status="failure", response=None, error_str="boom")) == [
        Ignored("failed call")
    ]
    assert parse(payload(call_type="aembedding", response={"data": []})) == [
        Ignored("not an LLM call")
    ]


def test_anthropic_messages_route():
    obj = payload(
        call_type="anthropic_messages",
        messages=[{"role": "user", "content": "Rome?"}],
        model_parameters={"system": SYSTEM},
        response={
            "type": "message",
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}],
        },
    )
    rec = record(obj)
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["response"]["tool_calls"] == [
        {"id": "toolu_1", "name": "get_weather", "arguments": "{}"}
    ]


def test_sniff_is_specific():
    assert get("litellm").sniff({"call_type": "completion", "messages": []}) is False
    plain = {"messages": [{"role": "user", "content": "hi"}], "response": {"choices": []}}
    assert detect(plain).name == "openai"


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (payload(response=None), "response"),
        (payload(response={"choices": []}), "response.choices"),
        (payload(messages={"secret": "x"}), "messages"),
        (payload(model_parameters={"tools": "secret-tools"}), "model_parameters.tools"),
        (
            payload(response={"choices": [{"message": {"tool_calls": [{"id": 1}]}}]}),
            "response.choices[0].message.tool_calls[0].function.name",
        ),
    ],
)
def test_malformed_payloads_raise_bad_record_naming_the_field(obj, field):
    with pytest.raises(BadRecord) as info:
        parse(obj)
    assert info.value.field == field
    assert "secret" not in str(info.value)
