import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import ParseContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def fixture(name):
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def parse(obj, line=1):
    return list(get("sharegpt").parse(obj, ParseContext("sharegpt", "chats.jsonl", line)))


def chat(*turns, **extra):
    return {"conversations": [{"from": who, "value": value} for who, value in turns], **extra}


def roles(rec):
    return [m["role"] for m in rec["messages"]]


def test_every_fixture_line_is_detected_as_sharegpt():
    for obj in fixture("sharegpt.jsonl"):
        assert detect(obj).name == "sharegpt"


def test_hermes_tools_tool_call_and_tool_response():
    call, answer = parse(fixture("sharegpt.jsonl")[0], line=1)
    assert call["source"] == {"format": "sharegpt", "file": "chats.jsonl", "line": 1}
    for rec in (call, answer):
        assert [t["name"] for t in rec["tools"]] == ["get_order", "refund_order"]
        assert json.loads(rec["tools"][0]["parameters"])["required"] == ["order_id"]
        assert rec["tools"][0]["description"] == "Look up an order by its id."
        system = rec["messages"][0]
        assert system["role"] == "system"
        assert system["content"].startswith("You are a function calling AI model.")
        assert "get_order" not in system["content"]
        assert "Here are the available tools: For each function call" in system["content"]
        assert rec["usage"] == {"input_tokens": None, "output_tokens": None}
        assert rec["model"] is None and rec["timestamp"] is None
        assert rec["arguments_valid"] is True

    assert roles(call) == ["system", "user"]
    assert call["messages"][1]["content"] == "Where is my order A-1?"
    assert call["response"]["content"] is None
    (tc,) = call["response"]["tool_calls"]
    assert tc["name"] == "get_order"
    assert tc["arguments"] == '{"order_id":"A-1"}'
    assert tc["id"] is None

    assert roles(answer) == ["system", "user", "assistant", "tool"]
    result = answer["messages"][3]
    assert result["name"] == "get_order"
    assert result["content"].startswith('{"name": "get_order", "content":')
    assert "<tool_response>" not in result["content"]
    assert answer["response"]["content"] == "Your order A-1 has shipped and should arrive on 2 May."


def test_hermes_schemas_one_per_line_and_parallel_calls():
    call, answer = parse(fixture("sharegpt.jsonl")[1])
    assert [t["name"] for t in call["tools"]] == ["get_order", "refund_order"]
    assert (
        call["messages"][0]["content"]
        == "You are a function calling AI model. Here are the available tools:"
    )
    assert call["response"]["content"] == "I'll do both."
    first, second = call["response"]["tool_calls"]
    assert (first["name"], json.loads(first["arguments"])) == ("get_order", {"order_id": "A-1"})
    assert (second["name"], json.loads(second["arguments"])) == (
        "refund_order",
        {"order_id": "B-7", "reason": "damaged"},
    )
    assert roles(answer) == ["system", "user", "assistant", "tool", "tool"]
    assert [m["name"] for m in answer["messages"][3:]] == ["get_order", "refund_order"]
    assert [m["content"] for m in answer["messages"][3:]] == [
        '{"status": "shipped"}',
        '{"refunded": true}',
    ]
    assert answer["response"]["content"] == "A-1 has shipped, and B-7 is refunded."


def test_llama_factory_function_call_observation_and_tools_column():
    call, answer = parse(fixture("sharegpt.jsonl")[2])
    assert roles(call) == ["system", "user"]
    assert call["messages"][0]["content"] == "You are the support assistant of Acme Outdoor."
    (tool,) = call["tools"]
    assert tool["name"] == "get_order"
    assert json.loads(tool["parameters"])["properties"] == {"order_id": {"type": "string"}}
    (tc,) = call["response"]["tool_calls"]
    assert (tc["name"], tc["arguments"]) == ("get_order", '{"order_id":"C-3"}')
    assert call["response"]["content"] is None
    assert roles(answer) == ["system", "user", "assistant", "tool"]
    assert answer["messages"][3]["name"] == "get_order"
    assert answer["messages"][3]["content"] == '{"status": "processing"}'
    assert answer["response"]["content"] == "Order C-3 is still being processed."


def test_plain_chat_gives_one_record_per_gpt_turn():
    first, second = parse(fixture("sharegpt.jsonl")[3])
    assert roles(first) == ["user"]
    assert (
        first["response"]["content"] == "Yes, we ship to Canada; delivery takes 5-8 business days."
    )
    assert roles(second) == ["user", "assistant", "user"]
    assert second["messages"][2]["content"] == "And customs fees?"
    assert second["response"]["content"] == "Customs fees are paid by the recipient on delivery."
    assert first["tools"] == second["tools"] == []


def test_text_then_function_call_merge_into_one_assistant_message():
    obj = chat(
        ("human", "Where is C-3?"),
        ("gpt", "Let me check."),
        ("function_call", '{"name": "get_order", "arguments": {"order_id": "C-3"}}'),
        ("observation", "processing"),
        ("gpt", "It is being processed."),
    )
    call, answer = parse(obj)
    assert call["response"]["content"] == "Let me check."
    assert call["response"]["tool_calls"][0]["name"] == "get_order"
    assert roles(answer) == ["user", "assistant", "tool"]
    assert answer["messages"][2]["name"] == "get_order"


def test_role_content_turns_under_conversations():
    obj = {
        "conversations": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
        ]
    }
    assert detect(obj).name == "sharegpt"
    (rec,) = parse(obj)
    assert rec["response"]["content"] == "hello"


def test_invalid_argument_string_is_kept_verbatim_and_flagged():
    bad = "{order_id: A-1"
    body = json.dumps({"name": "get_order", "arguments": bad})
    (rec,) = parse(chat(("human", "A-1?"), ("gpt", f"<tool_call>\n{body}\n</tool_call>")))
    assert rec["response"]["tool_calls"][0]["arguments"] == bad
    assert rec["arguments_valid"] is False


def test_a_tool_call_that_is_not_json_names_the_turn_not_the_body():
    obj = chat(
        ("system", "s"),
        ("human", "A-1?"),
        (
            "gpt",
            '<tool_call>\n{"name": "get_order", "arguments": {"card": "4111-secret"\n</tool_call>',
        ),
    )
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    assert exc.value.field == "conversations[2].value"
    assert exc.value.reason == "tool_call is not valid JSON"
    assert "4111" not in str(exc.value)


def test_a_function_call_that_is_not_json_is_a_bad_record():
    with pytest.raises(BadRecord) as exc:
        parse(chat(("human", "A-1?"), ("function_call", "get_order(A-1)")))
    assert exc.value.field == "conversations[1].value"
    assert exc.value.reason == "function_call is not valid JSON"


def test_a_tools_column_that_is_not_json_is_a_bad_record():
    with pytest.raises(BadRecord) as exc:
        parse(chat(("human", "hi"), ("gpt", "hello"), tools="[{not json"))
    assert exc.value.field == "tools"


def test_an_unknown_role_names_its_turn():
    with pytest.raises(BadRecord) as exc:
        parse(chat(("narrator", "once upon a time"), ("gpt", "hello")))
    assert exc.value.field == "conversations[0].from"


def test_a_conversation_without_a_gpt_turn_is_a_bad_record():
    with pytest.raises(BadRecord) as exc:
        parse(chat(("system", "s"), ("human", "hi")))
    assert (exc.value.field, exc.value.reason) == ("conversations", "no assistant turn")


def test_messages_keyed_objects_are_left_to_openai_finetune():
    obj = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    assert not get("sharegpt").sniff(obj)
    assert detect(obj).name == "openai-finetune"


def test_an_opening_greeting_gives_no_record_and_an_unclosed_tool_call_still_parses():
    obj = chat(
        ("gpt", "Hi, how can I help?"),
        ("human", "Where is A-1?"),
        ("gpt", 'Checking. <tool_call>{"name": "get_order", "arguments": {"order_id": "A-1"}}'),
    )
    (rec,) = parse(obj)
    assert roles(rec) == ["assistant", "user"]
    assert rec["response"]["content"] == "Checking."
    assert rec["response"]["tool_calls"][0]["arguments"] == '{"order_id":"A-1"}'
