import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
SYSTEM = "You are a travel assistant. Use get_weather for forecasts."
WEATHER_PARAMS = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city"],
}


def runs():
    return json.loads((FIXTURES / "langsmith.json").read_text())


def parse(obj, line=1):
    return list(get("langsmith").parse(obj, ParseContext("langsmith", "runs.json", line)))


def record(obj):
    (rec,) = parse(obj)
    assert isinstance(rec, dict)
    return rec


def llm_run(inputs, outputs, **extra):
    return {
        "id": "r-1",
        "trace_id": "t-1",
        "run_type": "llm",
        "start_time": "2024-06-01T09:00:00Z",
        "end_time": "2024-06-01T09:00:01Z",
        "inputs": inputs,
        "outputs": outputs,
        "extra": {"metadata": {"ls_model_name": "gpt-4o-mini"}},
        "error": None,
        **extra,
    }


def lc_message(cls, **kwargs):
    return {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain", "schema", "messages", cls],
        "kwargs": kwargs,
    }


def test_every_fixture_run_is_detected_as_langsmith():
    for obj in runs():
        assert detect(obj).name == "langsmith"


def test_chain_and_tool_runs_are_ignored_and_llm_runs_become_records():
    out = [parse(obj, line=i) for i, obj in enumerate(runs(), start=1)]
    assert out[0] == [Ignored("not an LLM call")]
    assert out[2] == [Ignored("not an LLM call")]
    recs = [items[0] for items in out if isinstance(items[0], dict)]
    assert len(recs) == 4
    assert [r["source"]["line"] for r in recs] == [2, 4, 5, 6]
    assert {r["source"]["format"] for r in recs} == {"langsmith"}


def test_lc_serialized_nested_messages_with_tool_call_in_generations():
    rec = record(runs()[1])
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [
        ("system", SYSTEM),
        ("user", "Weather in Paris?"),
    ]
    response = rec["response"]
    assert response["role"] == "assistant"
    assert response["content"] is None
    assert response["tool_calls"] == [
        {"id": "call_ls1", "name": "get_weather", "arguments": '{"city":"Paris"}'}
    ]
    (tool,) = rec["tools"]
    assert tool["name"] == "get_weather"
    assert tool["description"] == "Current weather for a city."
    assert json.loads(tool["parameters"]) == WEATHER_PARAMS
    assert rec["model"] == "gpt-4o-mini-2024-07-18"
    assert rec["usage"] == {"input_tokens": 120, "output_tokens": 17}
    assert rec["timestamp"] == "2024-06-01T09:00:00.100000Z"
    assert rec["latency_ms"] == pytest.approx(1250.0)
    assert rec["cost_usd"] == pytest.approx(0.0000282)
    assert rec["arguments_valid"] is True


def test_type_data_messages_keep_tool_results_and_take_tokens_from_usage_metadata():
    rec = record(runs()[3])
    roles = [m["role"] for m in rec["messages"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assistant, result = rec["messages"][2], rec["messages"][3]
    assert assistant["content"] is None
    assert assistant["tool_calls"] == [
        {"id": "call_ls1", "name": "get_weather", "arguments": '{"city":"Paris"}'}
    ]
    assert result["content"] == "18°C, sunny"
    assert result["tool_call_id"] == "call_ls1"
    assert result["name"] == "get_weather"
    assert rec["response"]["content"] == "It is 18°C and sunny in Paris."
    assert rec["response"]["tool_calls"] == []
    assert rec["usage"] == {"input_tokens": 150, "output_tokens": 14}
    assert rec["model"] == "gpt-4o-mini"
    assert rec["latency_ms"] == pytest.approx(1500.0)
    assert rec["cost_usd"] is None


def test_openai_shaped_run_uses_inputs_tools_and_completion_usage():
    rec = record(runs()[4])
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][1]["content"] == "Weather in Oslo, in F?"
    assert rec["response"]["tool_calls"] == [
        {"id": "call_ls5", "name": "get_weather", "arguments": '{"city":"Oslo","unit":"f"}'}
    ]
    assert [t["name"] for t in rec["tools"]] == ["get_weather"]
    assert rec["model"] == "gpt-4o-mini-2024-07-18"
    assert rec["usage"] == {"input_tokens": 98, "output_tokens": 21}
    assert rec["timestamp"] == "2024-06-01T10:15:00.000000Z"
    assert rec["latency_ms"] == pytest.approx(800.0)
    assert rec["cost_usd"] == pytest.approx(0.0000273)


def test_anthropic_shaped_run_with_system_and_tool_result_blocks():
    rec = record(runs()[5])
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    assert rec["messages"][0]["content"] == SYSTEM
    assert rec["messages"][2]["tool_calls"] == [
        {"id": "toolu_ls6", "name": "get_weather", "arguments": '{"city":"Rome"}'}
    ]
    tool_msg = rec["messages"][3]
    assert (tool_msg["content"], tool_msg["tool_call_id"], tool_msg["name"]) == (
        "24°C, clear",
        "toolu_ls6",
        "get_weather",
    )
    assert rec["response"]["content"] == "Rome: 24°C and clear."
    (tool,) = rec["tools"]
    assert json.loads(tool["parameters"]) == WEATHER_PARAMS
    assert rec["model"] == "claude-3-5-haiku-20241022"
    assert rec["usage"] == {"input_tokens": 310, "output_tokens": 12}
    assert rec["latency_ms"] == pytest.approx(2250.0)


def test_failed_llm_run_is_ignored():
    run = llm_run({"messages": [{"role": "user", "content": "hi"}]}, None)
    run["error"] = "RateLimitError: quota exceeded"
    assert parse(run) == [Ignored("failed call")]


def test_flat_langchain_messages_and_anthropic_content_blocks_via_langchain():
    ai = lc_message(
        "AIMessage",
        content=[
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Nice"}},
        ],
        usage_metadata={"input_tokens": 40, "output_tokens": 9},
        response_metadata={"model_name": "claude-3-5-sonnet-20241022"},
    )
    run = llm_run(
        {"messages": [{"type": "human", "content": "Nice weather?", "id": "m1"}]},
        {"generations": [[{"text": "Checking.", "message": ai}]]},
        extra={"invocation_params": {"tools": [{"name": "get_weather", "input_schema": {}}]}},
    )
    rec = record(run)
    assert rec["messages"][0]["role"] == "user"
    assert rec["messages"][0]["content"] == "Nice weather?"
    assert rec["response"]["content"] == "Checking."
    assert rec["response"]["tool_calls"] == [
        {"id": "toolu_9", "name": "get_weather", "arguments": '{"city":"Nice"}'}
    ]
    assert rec["usage"] == {"input_tokens": 40, "output_tokens": 9}
    assert rec["model"] == "claude-3-5-sonnet-20241022"
    assert rec["tools"][0]["name"] == "get_weather"


def test_completion_llm_run_with_prompts_and_text_generation():
    run = llm_run({"prompts": ["Say hi"]}, {"generations": [[{"text": "Hi!"}]]})
    rec = record(run)
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [("user", "Say hi")]
    assert rec["response"]["content"] == "Hi!"
    assert rec["tools"] == []


def test_sniff_is_specific():
    assert detect({"request": {"messages": []}, "response": {"choices": []}}).name != "langsmith"
    assert get("langsmith").sniff({"run_type": "llm"}) is False
    assert get("langsmith").sniff([{"run_type": "llm", "inputs": {}}]) is False


@pytest.mark.parametrize(
    ("run", "field"),
    [
        (llm_run(None, {"choices": []}), "inputs"),
        (
            llm_run({"messages": "secret-prompt"}, {"generations": [[{"text": "x"}]]}),
            "inputs.messages",
        ),
        (
            llm_run({"messages": [[{"type": "human", "data": {"content": "a"}}]] * 2}, {}),
            "inputs.messages",
        ),
        (llm_run({"messages": [{"role": "user", "content": "hi"}]}, None), "outputs"),
        (
            llm_run({"messages": [{"role": "user", "content": "hi"}]}, {"result": "secret-answer"}),
            "outputs",
        ),
        (
            llm_run(
                {"messages": [lc_message("RemoveMessage", content="secret-text")]},
                {"generations": [[{"text": "x"}]]},
            ),
            "inputs.messages[0].type",
        ),
        (
            llm_run(
                {"messages": [{"type": "human", "data": {"content": [{"type": "hologram"}]}}]},
                {"generations": [[{"text": "x"}]]},
            ),
            "inputs.messages[0].content[0].type",
        ),
        (
            llm_run({"messages": [{"role": "user", "content": "hi"}]}, {"generations": [[]]}),
            "outputs.generations[0][0]",
        ),
    ],
)
def test_malformed_runs_raise_bad_record_naming_the_field(run, field):
    with pytest.raises(BadRecord) as info:
        parse(run)
    assert info.value.field == field
    assert "secret" not in str(info.value)


def test_a_langchain_image_block_is_kept_as_its_kind():
    image = {"type": "image", "source_type": "url", "url": "https://cdn.example.com/scan.png"}
    run = llm_run(
        {
            "messages": [
                {"type": "human", "data": {"content": [{"type": "text", "text": "Read"}, image]}}
            ]
        },
        {"generations": [[{"text": "It says 42."}]]},
    )
    (rec,) = parse(run)
    assert (rec["messages"][0]["content"], rec["messages"][0]["media"]) == ("Read", ["image"])
    assert "cdn.example.com" not in str(rec)
