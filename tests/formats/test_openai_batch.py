import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext, detect_side_input

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def fixture(name):
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def batch_inputs():
    side = get("openai-batch").side_input
    return dict(pair for obj in fixture("openai-batch-input.jsonl") for pair in side.index(obj))


def parse(obj, side=None, line=1):
    ctx = ParseContext("openai-batch", "batch_output.jsonl", line)
    ctx.side["openai-batch-input"] = batch_inputs() if side is None else side
    return list(get("openai-batch").parse(obj, ctx))


def output_line(custom_id="req-1", message=None, status=200, error=None):
    message = message or {"role": "assistant", "content": "Hello."}
    return {
        "id": "batch_req_1",
        "custom_id": custom_id,
        "response": {
            "status_code": status,
            "request_id": "r1",
            "body": {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1714521600,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
            },
        },
        "error": error,
    }


def test_every_fixture_output_line_is_detected_as_openai_batch():
    for obj in fixture("openai-batch.jsonl"):
        assert detect(obj).name == "openai-batch"


def test_input_lines_are_a_side_input_not_a_format():
    for obj in fixture("openai-batch-input.jsonl"):
        assert detect(obj) is None
        parser, side = detect_side_input(obj)
        assert parser.name == "openai-batch"
        assert side.name == "openai-batch-input"


def test_side_input_indexes_request_bodies_by_custom_id():
    inputs = batch_inputs()
    assert sorted(inputs) == ["req-1", "req-2"]
    assert inputs["req-1"]["model"] == "gpt-4o-mini"
    assert inputs["req-1"]["messages"][1]["content"] == "Where is my order A-1?"


def test_tool_call_output_is_joined_with_its_request():
    first = fixture("openai-batch.jsonl")[0]
    (rec,) = parse(first, line=1)
    assert rec["source"] == {"format": "openai-batch", "file": "batch_output.jsonl", "line": 1}
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][1]["content"] == "Where is my order A-1?"
    assert [t["name"] for t in rec["tools"]] == ["get_order", "refund_order"]
    assert json.loads(rec["tools"][0]["parameters"])["required"] == ["order_id"]
    assert rec["tools"][0]["description"] == "Look up an order by its id."
    call = rec["response"]["tool_calls"][0]
    assert rec["response"]["role"] == "assistant"
    assert rec["response"]["content"] is None
    assert call["id"] == "call_a1"
    assert call["name"] == "get_order"
    assert call["arguments"] == '{"order_id":"A-1"}'
    assert rec["usage"] == {"input_tokens": 112, "output_tokens": 18}
    assert rec["model"] == "gpt-4o-mini-2024-07-18"
    assert rec["timestamp"] == "2024-05-01T00:00:00.000000Z"
    assert rec["arguments_valid"] is True


def test_final_answer_output_has_the_tool_result_in_its_prompt():
    second = fixture("openai-batch.jsonl")[1]
    (rec,) = parse(second, line=2)
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    assert rec["messages"][2]["tool_calls"][0]["name"] == "get_order"
    result = rec["messages"][3]
    assert result["tool_call_id"] == "call_a1"
    assert json.loads(result["content"]) == {"status": "shipped", "eta": "2024-05-02"}
    assert rec["response"]["content"] == "Your order A-1 has shipped and should arrive on 2 May."
    assert rec["response"]["tool_calls"] == []
    assert rec["usage"] == {"input_tokens": 151, "output_tokens": 15}


def test_an_errored_line_is_a_failed_call():
    line = {
        "id": "batch_req_2",
        "custom_id": "req-1",
        "response": None,
        "error": {"code": "batch_expired", "message": "This request could not be executed."},
    }
    assert detect(line).name == "openai-batch"
    assert parse(line) == [Ignored("failed call")]


def test_a_non_200_status_is_a_failed_call():
    line = output_line(status=400)
    line["response"]["body"] = {"error": {"message": "bad", "type": "invalid_request_error"}}
    assert parse(line) == [Ignored("failed call")]


def test_an_output_without_its_input_line_names_custom_id_not_its_value():
    line = output_line(custom_id="secret-customer-42")
    with pytest.raises(BadRecord) as exc:
        parse(line, side={})
    assert exc.value.field == "custom_id"
    assert "pass the input file too" in exc.value.reason
    assert "secret-customer-42" not in str(exc.value)


def test_invalid_argument_string_is_kept_verbatim_and_flagged():
    bad_args = "{order_id: A-1"
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_order", "arguments": bad_args},
            }
        ],
    }
    (rec,) = parse(output_line(message=message))
    assert rec["response"]["tool_calls"][0]["arguments"] == bad_args
    assert rec["arguments_valid"] is False


def test_a_body_without_choices_is_a_bad_record():
    line = output_line()
    del line["response"]["body"]["choices"]
    with pytest.raises(BadRecord) as exc:
        parse(line)
    assert exc.value.field == "response.body.choices"


def test_a_malformed_prompt_in_the_input_file_names_the_input_field():
    with pytest.raises(BadRecord) as exc:
        parse(output_line(), side={"req-1": {"model": "gpt-4o-mini", "messages": "hi"}})
    assert exc.value.field == "input.body.messages"


def test_sniff_leaves_other_formats_alone():
    pair = {
        "request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        "response": {"choices": [{"message": {"role": "assistant", "content": "yo"}}]},
    }
    assert detect(pair).name == "openai"
    assert not get("openai-batch").sniff(fixture("openai-batch-input.jsonl")[0])
