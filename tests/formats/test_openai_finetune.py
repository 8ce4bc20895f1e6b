import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def fixture(name):
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def parse(obj, line=1):
    ctx = ParseContext("openai-finetune", "train.jsonl", line)
    return list(get("openai-finetune").parse(obj, ctx))


def test_every_fixture_line_is_detected_as_openai_finetune():
    for obj in fixture("openai-finetune.jsonl"):
        assert detect(obj).name == "openai-finetune"


def test_each_assistant_turn_is_one_record_prompted_by_the_turns_before_it():
    first = fixture("openai-finetune.jsonl")[0]
    call, answer = parse(first, line=1)

    assert call["source"] == {"format": "openai-finetune", "file": "train.jsonl", "line": 1}
    assert [m["role"] for m in call["messages"]] == ["system", "user"]
    assert call["messages"][1]["content"] == "Please refund order B-7, the tent arrived torn."
    assert call["response"]["content"] is None
    (tc,) = call["response"]["tool_calls"]
    assert tc["id"] == "call_b7"
    assert tc["name"] == "refund_order"
    assert json.loads(tc["arguments"]) == {"order_id": "B-7", "reason": "damaged"}
    assert tc["arguments"] == '{"order_id":"B-7","reason":"damaged"}'

    assert [m["role"] for m in answer["messages"]] == ["system", "user", "assistant", "tool"]
    result = answer["messages"][3]
    assert result["tool_call_id"] == "call_b7"
    assert json.loads(result["content"]) == {"refunded": True, "amount": 189.0}
    assert answer["response"]["content"] == "Done: order B-7 is refunded (189.00 USD)."
    assert answer["response"]["tool_calls"] == []

    for rec in (call, answer):
        assert [t["name"] for t in rec["tools"]] == ["get_order", "refund_order"]
        assert json.loads(rec["tools"][1]["parameters"])["properties"]["reason"] == {
            "type": "string"
        }
        assert rec["usage"] == {"input_tokens": None, "output_tokens": None}
        assert rec["model"] is None
        assert rec["timestamp"] is None
        assert rec["arguments_valid"] is True
    assert call["id"] != answer["id"]


def test_records_do_not_share_message_objects():
    call, answer = parse(fixture("openai-finetune.jsonl")[0])
    answer["messages"][0]["content"] = "changed"
    assert call["messages"][0]["content"] != "changed"
    assert answer["messages"][2]["tool_calls"][0] is not call["response"]["tool_calls"][0]


def test_legacy_functions_and_function_call():
    call, answer = parse(fixture("openai-finetune.jsonl")[1])
    (tool,) = call["tools"]
    assert tool["name"] == "get_order"
    assert json.loads(tool["parameters"])["required"] == ["order_id"]
    (tc,) = call["response"]["tool_calls"]
    assert tc["name"] == "get_order"
    assert json.loads(tc["arguments"]) == {"order_id": "C-3"}
    result = answer["messages"][2]
    assert result["role"] == "tool"
    assert result["name"] == "get_order"
    assert result["content"] == '{"status": "processing"}'
    assert answer["response"]["content"] == "Order C-3 is still being processed."


def test_weight_zero_turns_give_no_record_but_stay_in_later_prompts():
    (rec,) = parse(fixture("openai-finetune.jsonl")[2])
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "user"]
    assert rec["messages"][2]["content"] == "Hello!"
    assert rec["response"]["content"] == "9am to 5pm, Monday to Friday."
    assert rec["tools"] == []


def test_only_weight_zero_turns_is_ignored():
    obj = {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!", "weight": 0},
        ]
    }
    assert parse(obj) == [Ignored("every assistant turn has weight 0")]


def test_invalid_argument_string_is_kept_verbatim_and_flagged_wherever_it_appears():
    bad_args = "{order_id: C-3"
    obj = {
        "messages": [
            {"role": "user", "content": "Status of C-3?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_order", "arguments": bad_args},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "error: bad arguments"},
            {"role": "assistant", "content": "Sorry, I could not look that up."},
        ]
    }
    call, answer = parse(obj)
    assert call["response"]["tool_calls"][0]["arguments"] == bad_args
    assert call["arguments_valid"] is False
    assert answer["messages"][1]["tool_calls"][0]["arguments"] == bad_args
    assert answer["arguments_valid"] is False


def test_a_conversation_without_an_assistant_turn_is_a_bad_record():
    obj = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]}
    assert detect(obj).name == "openai-finetune"
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    assert exc.value.field == "messages"
    assert exc.value.reason == "no assistant turn"


def test_an_empty_assistant_turn_names_its_position():
    obj = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant"}]}
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    assert exc.value.field == "messages[1]"


def test_a_malformed_tool_call_names_its_path_not_its_value():
    obj = {
        "messages": [
            {"role": "user", "content": "my card is 4111-1111"},
            {"role": "assistant", "tool_calls": [{"id": "c1", "function": {"arguments": "{}"}}]},
        ]
    }
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    assert exc.value.field == "messages[1].tool_calls[0].function.name"
    assert "4111" not in str(exc.value)


def test_sniff_leaves_pairs_litellm_batch_and_sharegpt_alone():
    msgs = [{"role": "user", "content": "hi"}]
    completion = {"choices": [{"message": {"role": "assistant", "content": "yo"}}]}
    sniff = get("openai-finetune").sniff
    assert not sniff({"request": {"messages": msgs}, "response": completion})
    assert not sniff({"messages": msgs, "response": completion})
    assert not sniff({"messages": msgs, "completion": completion})
    assert not sniff({"messages": msgs, "call_type": "completion", "response": completion})
    assert not sniff(
        {
            "custom_id": "r1",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"messages": msgs},
        }
    )
    assert not sniff({"conversations": [{"from": "human", "value": "hi"}]})
    assert detect({"messages": msgs, "response": completion}).name == "openai"
