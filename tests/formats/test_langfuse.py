import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
SYSTEM = "You are a travel assistant. Use get_weather for forecasts."


def observations():
    lines = (FIXTURES / "langfuse.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def parse(obj, line=1):
    return list(get("langfuse").parse(obj, ParseContext("langfuse", "obs.jsonl", line)))


def record(obj):
    (rec,) = parse(obj)
    assert isinstance(rec, dict)
    return rec


def generation(input, output, **fields):
    return {
        "id": "g-1",
        "traceId": "t-1",
        "type": "GENERATION",
        "startTime": "2024-07-02T08:30:00Z",
        "endTime": "2024-07-02T08:30:00.500Z",
        "model": "gpt-4o-mini",
        "input": input,
        "output": output,
        "level": "DEFAULT",
        **fields,
    }


def test_every_fixture_observation_is_detected_as_langfuse():
    for obj in observations():
        assert detect(obj).name == "langfuse"


def test_span_is_ignored_and_generations_become_records():
    out = [parse(obj, line=i) for i, obj in enumerate(observations(), start=1)]
    assert out[1] == [Ignored("not an LLM call")]
    recs = [items[0] for items in out if isinstance(items[0], dict)]
    assert [r["source"] for r in recs] == [
        {"format": "langfuse", "file": "obs.jsonl", "line": n} for n in (1, 3, 4)
    ]


def test_messages_and_tools_input_with_tool_call_output_and_usage_details():
    rec = record(observations()[0])
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [
        ("system", SYSTEM),
        ("user", "Is it raining in Berlin?"),
    ]
    (tool,) = rec["tools"]
    assert tool["name"] == "get_weather"
    assert json.loads(tool["parameters"])["required"] == ["city"]
    assert rec["response"]["role"] == "assistant"
    assert rec["response"]["content"] is None
    assert rec["response"]["tool_calls"] == [
        {"id": "call_lf1", "name": "get_weather", "arguments": '{"city":"Berlin"}'}
    ]
    assert rec["model"] == "gpt-4o-2024-08-06"
    assert rec["usage"] == {"input_tokens": 88, "output_tokens": 19}
    assert rec["cost_usd"] == pytest.approx(0.00041)
    assert rec["timestamp"] == "2024-07-02T08:30:00.000000Z"
    assert rec["latency_ms"] == pytest.approx(1200.0)


def test_message_list_input_with_tool_result_string_output_and_older_usage():
    rec = record(observations()[2])
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    assert rec["messages"][2]["tool_calls"][0]["id"] == "call_lf1"
    assert rec["messages"][3]["tool_call_id"] == "call_lf1"
    assert rec["messages"][3]["content"] == "15°C, cloudy, 0 mm rain"
    assert rec["response"]["content"] == "No rain in Berlin right now: 15°C and cloudy."
    assert rec["response"]["tool_calls"] == []
    assert rec["tools"] == []
    assert rec["usage"] == {"input_tokens": 131, "output_tokens": 15}
    assert rec["cost_usd"] == pytest.approx(0.000478)
    assert rec["latency_ms"] == pytest.approx(1250.0)


def test_langchain_style_tool_calls_and_prompt_tokens_fields():
    rec = record(observations()[3])
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [
        ("user", "Weather in Lisbon in Fahrenheit?")
    ]
    assert rec["response"]["content"] is None
    assert rec["response"]["tool_calls"] == [
        {"id": "call_lf3", "name": "get_weather", "arguments": '{"city":"Lisbon","unit":"f"}'}
    ]
    assert rec["usage"] == {"input_tokens": 52, "output_tokens": 18}
    assert rec["cost_usd"] is None
    assert rec["model"] == "gpt-4o-mini"


def test_chat_completion_output_gives_tokens_and_cost_parts_are_summed():
    completion = {
        "object": "chat.completion",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"message": {"role": "assistant", "content": "Sunny."}}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 2},
    }
    obs = generation("Weather?", completion, costDetails={"input": 0.25, "output": 0.5})
    obs.pop("model")
    rec = record(obs)
    assert rec["messages"][0] == {
        "role": "user",
        "content": "Weather?",
        "tool_calls": [],
        "tool_call_id": None,
        "name": None,
    }
    assert rec["response"]["content"] == "Sunny."
    assert rec["model"] == "gpt-4o-mini-2024-07-18"
    assert rec["usage"] == {"input_tokens": 11, "output_tokens": 2}
    assert rec["cost_usd"] == pytest.approx(0.75)


def test_anthropic_content_block_output():
    blocks = [
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Bern"}}
    ]
    rec = record(generation([{"role": "user", "content": "Bern?"}], blocks))
    assert rec["response"]["tool_calls"] == [
        {"id": "toolu_1", "name": "get_weather", "arguments": '{"city":"Bern"}'}
    ]


def test_error_level_generation_and_other_types_are_ignored():
    failed = generation([{"role": "user", "content": "hi"}], None, level="ERROR")
    assert parse(failed) == [Ignored("failed call")]
    event = generation(None, None, type="EVENT")
    assert parse(event) == [Ignored("not an LLM call")]


def test_sniff_is_specific():
    assert get("langfuse").sniff({"traceId": "t", "type": "generation", "input": []}) is False
    assert get("langfuse").sniff({"type": "GENERATION", "input": []}) is False
    assert detect({"run_type": "llm", "inputs": {}}).name != "langfuse"


@pytest.mark.parametrize(
    ("obs", "field"),
    [
        (generation({"prompt": "secret-prompt"}, "x"), "input"),
        (generation([{"role": "user", "content": "hi"}], None), "output"),
        (generation([{"role": "user", "content": "hi"}], {"answer": "secret-answer"}), "output"),
        (generation(["secret-text"], "x"), "input[0]"),
        (generation([{"role": "wizard", "content": "secret"}], "x"), "message.role"),
        (
            generation(
                {
                    "messages": [{"role": "user", "content": "hi"}],
                    "tools": [{"description": "secret"}],
                },
                "x",
            ),
            "input.tools[0].name",
        ),
    ],
)
def test_malformed_generations_raise_bad_record_naming_the_field(obs, field):
    with pytest.raises(BadRecord) as info:
        parse(obs)
    assert info.value.field == field
    assert "secret" not in str(info.value)


def test_an_empty_output_list_is_a_bad_record_naming_output():
    with pytest.raises(BadRecord) as exc:
        parse(generation([{"role": "user", "content": "hi"}], []))
    assert (exc.value.field, exc.value.reason) == ("output", "empty")
