import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
SYSTEM = "You are a travel assistant. Use get_weather for forecasts."
SPAN_0 = "resourceSpans[0].scopeSpans[0].spans[0]"


def export():
    return json.loads((FIXTURES / "otel.json").read_text())


def parse(obj, line=1):
    return list(get("otel").parse(obj, ParseContext("otel", "traces.json", line)))


def attr(key, value):
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if not isinstance(value, str):
        value = json.dumps(value)
    return {"key": key, "value": {"stringValue": value}}


def span(attributes, **fields):
    return {
        "traceId": "t",
        "spanId": "s",
        "name": "chat",
        "startTimeUnixNano": "1718000000000000000",
        "endTimeUnixNano": "1718000000250000000",
        "attributes": [attr(k, v) for k, v in attributes.items()],
        **fields,
    }


def wrap(*spans):
    return {
        "resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": list(spans)}]}]
    }


USER = [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
REPLY = [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}]}]
GOOD = {
    "gen_ai.operation.name": "chat",
    "gen_ai.input.messages": USER,
    "gen_ai.output.messages": REPLY,
}


def test_fixture_export_is_detected_as_otel():
    assert detect(export()).name == "otel"


def test_one_export_gives_a_record_per_chat_span_and_ignores_the_tool_span():
    out = parse(export())
    assert len(out) == 3
    assert isinstance(out[0], dict) and isinstance(out[2], dict)
    assert out[1] == Ignored("not an LLM call")
    assert {r["source"]["line"] for r in (out[0], out[2])} == {1}


def test_current_convention_span_with_parts_tool_calls_and_tool_responses():
    rec = parse(export())[0]
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    assert rec["messages"][0]["content"] == SYSTEM
    assert rec["messages"][1]["content"] == "Weather in Paris and London?"
    assert rec["messages"][2]["content"] is None
    assert rec["messages"][2]["tool_calls"] == [
        {"id": "call_ot1", "name": "get_weather", "arguments": '{"city":"Paris"}'}
    ]
    tool_msg = rec["messages"][3]
    assert tool_msg["content"] == "18°C, sunny"
    assert tool_msg["tool_call_id"] == "call_ot1"
    assert tool_msg["name"] == "get_weather"
    assert rec["response"]["role"] == "assistant"
    assert rec["response"]["content"] == "Paris is sunny. Checking London."
    assert rec["response"]["tool_calls"][0]["name"] == "get_weather"
    assert rec["response"]["tool_calls"] == [
        {"id": "call_ot2", "name": "get_weather", "arguments": '{"city":"London","unit":"c"}'}
    ]
    (tool,) = rec["tools"]
    assert tool["name"] == "get_weather"
    assert tool["description"] == "Current weather for a city."
    assert json.loads(tool["parameters"])["required"] == ["city"]
    assert rec["model"] == "gpt-4o-mini-2024-07-18"
    assert rec["workload"] == "travel-agent"
    assert rec["usage"] == {"input_tokens": 143, "output_tokens": 35}
    assert rec["timestamp"] == "2024-06-10T06:13:20.123457Z"
    assert rec["latency_ms"] == pytest.approx(1500.0)
    assert rec["cost_usd"] is None


def test_older_flattened_span_with_completion_tool_call_and_request_functions():
    rec = parse(export())[2]
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [
        ("system", SYSTEM),
        ("user", "Weather in Madrid?"),
    ]
    assert rec["response"]["content"] is None
    assert rec["response"]["tool_calls"] == [
        {"id": "call_old1", "name": "get_weather", "arguments": '{"city":"Madrid"}'}
    ]
    (tool,) = rec["tools"]
    assert tool["name"] == "get_weather"
    assert json.loads(tool["parameters"])["properties"]["city"] == {"type": "string"}
    assert rec["model"] == "gpt-3.5-turbo-0125"
    assert rec["usage"] == {"input_tokens": 77, "output_tokens": 16}
    assert rec["timestamp"] == "2024-06-10T07:13:20.000000Z"
    assert rec["latency_ms"] == pytest.approx(950.0)


def test_flattened_tool_results_and_anthropic_blocks_serialized_in_content():
    blocks = [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "9°C"}]
    attrs = {
        "gen_ai.request.model": "claude-3-5-haiku",
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "Oslo?",
        "gen_ai.prompt.1.role": "assistant",
        "gen_ai.prompt.1.tool_calls.0.id": "toolu_1",
        "gen_ai.prompt.1.tool_calls.0.name": "get_weather",
        "gen_ai.prompt.1.tool_calls.0.arguments": '{"city":"Oslo"}',
        "gen_ai.prompt.2.role": "user",
        "gen_ai.prompt.2.content": json.dumps(blocks),
        "gen_ai.prompt.3.role": "tool",
        "gen_ai.prompt.3.content": "dry",
        "gen_ai.prompt.3.tool_call_id": "toolu_1",
        "gen_ai.completion.0.content": "Oslo: 9°C.",
    }
    (rec,) = parse(wrap(span(attrs)))
    assert [m["role"] for m in rec["messages"]] == ["user", "assistant", "tool", "tool"]
    assert rec["messages"][2]["content"] == "9°C"
    assert rec["messages"][2]["tool_call_id"] == "toolu_1"
    assert rec["messages"][2]["name"] == "get_weather"
    assert rec["messages"][3]["tool_call_id"] == "toolu_1"
    assert rec["response"] == {
        "role": "assistant",
        "content": "Oslo: 9°C.",
        "tool_calls": [],
        "tool_call_id": None,
        "name": None,
    }
    assert rec["model"] == "claude-3-5-haiku"


def test_non_chat_failed_and_agent_spans_are_ignored():
    http = span({"http.method": "GET"})
    failed = span(GOOD, status={"code": 2, "message": "timeout"})
    agent = span({**GOOD, "gen_ai.operation.name": "invoke_agent"})
    unnamed = span({k: v for k, v in GOOD.items() if k != "gen_ai.operation.name"})
    out = parse(wrap(http, failed, agent, unnamed))
    assert out[:3] == [
        Ignored("not an LLM call"),
        Ignored("failed call"),
        Ignored("not an LLM call"),
    ]
    assert out[3]["response"]["content"] == "Hello"


def test_a_bad_span_is_yielded_as_bad_record_and_the_others_survive():
    bad = span({**GOOD, "gen_ai.input.messages": "{not json secret"})
    out = parse(wrap(bad, span(GOOD)))
    assert isinstance(out[0], BadRecord)
    assert out[0].field == f"{SPAN_0}.gen_ai.input.messages"
    assert "secret" not in str(out[0])
    assert out[1]["messages"][0]["content"] == "Hi"


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"gen_ai.operation.name": "chat"}, "gen_ai.input.messages"),
        ({**GOOD, "gen_ai.output.messages": []}, "gen_ai.output.messages"),
        (
            {**GOOD, "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "secret"}]}]},
            "gen_ai.input.messages[0].parts[0].type",
        ),
        (
            {**GOOD, "gen_ai.input.messages": [{"role": "secret", "parts": []}]},
            "message.role",
        ),
        (
            {**GOOD, "gen_ai.tool.definitions": [{"type": "function", "description": "secret"}]},
            "gen_ai.tool.definitions[0].name",
        ),
        ({"gen_ai.prompt.0.content": "secret"}, "gen_ai.prompt.0.role"),
    ],
)
def test_malformed_chat_spans_name_the_field(attributes, field):
    (out,) = parse(wrap(span(attributes)))
    assert isinstance(out, BadRecord)
    assert out.field == f"{SPAN_0}.{field}"
    assert "secret" not in str(out)


def test_malformed_attribute_values_and_containers():
    bad_int = span({})
    bad_int["attributes"] = [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "x"}}]
    (out,) = parse(wrap(bad_int))
    assert out.field == f"{SPAN_0}.attributes[0].value.intValue"
    out = parse({"resourceSpans": ["oops", {"scopeSpans": "oops"}]})
    assert [b.field for b in out] == ["resourceSpans[0]", "resourceSpans[1].scopeSpans"]
    with pytest.raises(BadRecord) as info:
        parse({"resourceSpans": None})
    assert info.value.field == "resourceSpans"


def test_sniff_is_specific():
    assert get("otel").sniff({"resourceLogs": []}) is False
    assert get("otel").sniff([wrap()]) is False
    assert detect(wrap()).name == "otel"


def test_blob_file_and_uri_parts_are_kept_as_their_modality():
    parts = [
        {"type": "text", "content": "Compare these"},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBOR"},
        {"type": "uri", "modality": "video", "uri": "https://cdn.example.com/v.mp4"},
        {"type": "file", "modality": "document", "file_id": "file-abc"},
    ]
    attributes = {**GOOD, "gen_ai.input.messages": [{"role": "user", "parts": parts}]}
    (rec,) = parse(wrap(span(attributes)))
    user = rec["messages"][0]
    assert (user["content"], user["media"]) == ("Compare these", ["image", "video", "file"])
    assert rec["has_media"] and "file-abc" not in str(rec) and "cdn" not in str(rec)


def test_plain_system_instructions_starting_with_a_bracket_stay_text():
    attributes = {**GOOD, "gen_ai.system_instructions": "[internal] You are the parcel desk."}
    (rec,) = parse(wrap(span(attributes)))
    assert rec["messages"][0]["role"] == "system"
    assert rec["messages"][0]["content"] == "[internal] You are the parcel desk."
