import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
SYSTEM = "You are the support assistant of Acme Outdoor. Use the tools to look up orders."


def fixture(name):
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def parse(obj, line=1):
    return list(get("anthropic").parse(obj, ParseContext("anthropic", "claude.jsonl", line)))


def pair(content, usage=None, **request):
    request.setdefault("messages", [{"role": "user", "content": "Where is A-1?"}])
    response = {"id": "msg_1", "type": "message", "role": "assistant", "content": content}
    if usage is not None:
        response["usage"] = usage
    return {"request": {"model": "claude-3-5-haiku-20241022", **request}, "response": response}


def test_every_fixture_line_is_detected_as_anthropic():
    for obj in fixture("anthropic.jsonl"):
        assert detect(obj).name == "anthropic"


def test_text_and_tool_use_response_with_cached_input_tokens():
    (rec,) = parse(fixture("anthropic.jsonl")[0], line=1)
    assert rec["source"] == {"format": "anthropic", "file": "claude.jsonl", "line": 1}
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][0]["content"] == SYSTEM
    assert rec["messages"][1]["content"] == "Where is my order A-1?"
    assert [t["name"] for t in rec["tools"]] == ["get_order", "refund_order"]
    assert rec["tools"][0]["description"] == "Look up an order by its id."
    assert json.loads(rec["tools"][0]["parameters"]) == {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    }
    assert rec["response"]["role"] == "assistant"
    assert rec["response"]["content"] == "Let me look that up."
    (call,) = rec["response"]["tool_calls"]
    assert call["id"] == "toolu_01A09q90qw90lq917835lq9"
    assert call["name"] == "get_order"
    assert call["arguments"] == '{"order_id":"A-1"}'
    assert rec["usage"] == {"input_tokens": 25 + 400 + 0, "output_tokens": 62}
    assert rec["model"] == "claude-sonnet-4-20250514"
    assert rec["timestamp"] == "2024-05-01T10:00:00.000000Z"
    assert rec["arguments_valid"] is True


def test_tool_result_in_a_user_turn_becomes_a_named_tool_message():
    (rec,) = parse(fixture("anthropic.jsonl")[1])
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    assert rec["messages"][0]["content"] == SYSTEM
    assert rec["messages"][1]["content"] == "Where is my order A-1?"
    assert rec["messages"][2]["content"] == "Let me look that up."
    assert rec["messages"][2]["tool_calls"][0]["id"] == "toolu_01A09q90qw90lq917835lq9"
    result = rec["messages"][3]
    assert result["tool_call_id"] == "toolu_01A09q90qw90lq917835lq9"
    assert result["name"] == "get_order"
    assert json.loads(result["content"]) == {"status": "shipped", "eta": "2024-05-02"}
    assert rec["response"]["content"] == "Your order A-1 has shipped and should arrive on 2 May."
    assert rec["response"]["tool_calls"] == []
    assert rec["usage"] == {"input_tokens": 40 + 0 + 400, "output_tokens": 19}
    assert rec["timestamp"] == "2024-05-01T10:01:00.000000Z"


def test_input_output_keys_error_result_blocks_and_text_after_results():
    (rec,) = parse(fixture("anthropic.jsonl")[2])
    assert [m["role"] for m in rec["messages"]] == ["user", "assistant", "tool", "user"]
    call = rec["messages"][1]["tool_calls"][0]
    assert call["name"] == "refund_order"
    assert json.loads(call["arguments"]) == {"order_id": "B-7", "reason": "damaged"}
    assert rec["messages"][1]["content"] is None
    result = rec["messages"][2]
    assert (result["tool_call_id"], result["name"]) == ("toolu_02", "refund_order")
    assert result["content"] == "refund window closed"
    assert rec["messages"][3]["content"] == "Can you try anyway?"
    assert rec["usage"] == {"input_tokens": 310, "output_tokens": 24}
    assert rec["model"] == "claude-3-5-haiku-20241022"
    assert rec["timestamp"] is None


def test_missing_usage_gives_null_tokens_and_request_model():
    obj = pair([{"type": "text", "text": "It shipped."}])
    (rec,) = parse(obj)
    assert rec["usage"] == {"input_tokens": None, "output_tokens": None}
    assert rec["model"] == "claude-3-5-haiku-20241022"
    assert rec["tools"] == []


def test_tool_input_logged_as_a_bad_string_is_kept_verbatim_and_flagged():
    bad = '{"order_id": "A-1"'
    obj = pair([{"type": "tool_use", "id": "toolu_9", "name": "get_order", "input": bad}])
    (rec,) = parse(obj)
    assert rec["response"]["tool_calls"][0]["arguments"] == bad
    assert rec["response"]["content"] is None
    assert rec["arguments_valid"] is False


def test_an_error_response_is_a_failed_call():
    obj = {
        "request": {
            "model": "claude-3-5-haiku-20241022",
            "messages": [{"role": "user", "content": "hi"}],
        },
        "response": {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
        },
    }
    assert detect(obj).name == "anthropic"
    assert parse(obj) == [Ignored("failed call")]


def test_a_streaming_event_is_rejected_with_a_reason():
    obj = pair([])
    obj["response"]["type"] = "message_start"
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    assert exc.value.field == "response.type"
    assert "streaming" in exc.value.reason


def test_an_unsupported_block_names_its_path_not_its_content():
    messages = [{"role": "user", "content": [{"type": "secret-payload", "data": "x"}]}]
    with pytest.raises(BadRecord) as exc:
        parse(pair([{"type": "text", "text": "ok"}], messages=messages))
    assert exc.value.field == "request.messages[0].content[0].type"
    assert "secret-payload" not in str(exc.value)


def test_a_response_without_content_is_a_bad_record():
    obj = pair(None)
    del obj["response"]["content"]
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    assert exc.value.field == "response.content"


def test_an_empty_response_is_a_bad_record():
    with pytest.raises(BadRecord) as exc:
        parse(pair([]))
    assert exc.value.field == "response"


def test_sniff_tells_anthropic_from_openai_pairs():
    openai_pair = {
        "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        "response": {"choices": [{"message": {"role": "assistant", "content": "yo"}}]},
    }
    assert not get("anthropic").sniff(openai_pair)
    assert detect(openai_pair).name == "openai"
    no_response = {
        "request": {"system": "s", "messages": [{"role": "user", "content": "hi"}]},
        "response": None,
    }
    assert detect(no_response).name == "anthropic"
    top_level = {
        "model": "claude-3-5-haiku-20241022",
        "messages": [{"role": "user", "content": "hi"}],
        "response": {"type": "message", "content": [{"type": "text", "text": "yo"}]},
    }
    assert detect(top_level).name == "anthropic"
    (rec,) = parse(top_level)
    assert rec["response"]["content"] == "yo"


def test_an_unknown_block_kind_from_the_log_is_never_quoted():
    canary = "jane.doe@example.org-kind"
    messages = [{"role": "user", "content": [{"type": canary}]}]
    with pytest.raises(BadRecord) as exc:
        parse(pair([{"type": "text", "text": "ok"}], messages=messages))
    assert canary not in str(exc.value) and "unknown kind" in str(exc.value)


def test_image_and_document_blocks_are_kept_as_media_kinds():
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
    }
    pdf = {"type": "document", "source": {"type": "url", "url": "https://x.example/jane.pdf"}}
    messages = [{"role": "user", "content": [image, pdf, {"type": "text", "text": "Summarise."}]}]
    (rec,) = parse(pair([{"type": "text", "text": "It is an invoice."}], messages=messages))
    assert rec["messages"][-1]["media"] == ["image", "file"]
    assert rec["messages"][-1]["content"] == "Summarise."
    assert rec["has_media"] is True and "jane" not in json.dumps(rec)


def test_a_tool_result_holding_an_image_keeps_its_text_and_kind():
    messages = [
        {"role": "user", "content": "Screenshot the page"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "shot", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": [
                        {"type": "text", "text": "captured"},
                        {"type": "image", "source": {"type": "base64", "data": "iVBOR"}},
                    ],
                }
            ],
        },
    ]
    (rec,) = parse(pair([{"type": "text", "text": "Done."}], messages=messages))
    tool = rec["messages"][-1]
    assert (tool["role"], tool["name"], tool["content"], tool["media"]) == (
        "tool",
        "shot",
        "captured",
        ["image"],
    )


def test_a_server_web_search_is_kept_as_a_provider_call_with_its_result():
    content = [
        {"type": "text", "text": "I'll search for that."},
        {
            "type": "server_tool_use",
            "id": "srvtoolu_01",
            "name": "web_search",
            "input": {"query": "claude shannon birth date"},
        },
        {
            "type": "web_search_tool_result",
            "tool_use_id": "srvtoolu_01",
            "content": [
                {
                    "type": "web_search_result",
                    "url": "https://en.wikipedia.org/wiki/Claude_Shannon",
                    "title": "Claude Shannon - Wikipedia",
                    "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y",
                    "page_age": "April 30, 2025",
                }
            ],
        },
        {"type": "text", "text": "Claude Shannon was born on April 30, 1916."},
    ]
    usage = {
        "input_tokens": 6039,
        "output_tokens": 931,
        "server_tool_use": {"web_search_requests": 1},
    }
    (rec,) = parse(pair(content, usage=usage))
    call_turn, result, answer = rec["messages"][-2], rec["messages"][-1], rec["response"]
    assert call_turn["role"] == "assistant" and call_turn["content"] == "I'll search for that."
    (call,) = call_turn["tool_calls"]
    assert (call["name"], call["provider"]) == ("web_search", True)
    assert json.loads(call["arguments"]) == {"query": "claude shannon birth date"}
    assert (result["role"], result["tool_call_id"], result["name"]) == (
        "tool",
        "srvtoolu_01",
        "web_search",
    )
    assert "Claude Shannon - Wikipedia" in result["content"] and "Eqgf" not in result["content"]
    assert answer["content"] == "Claude Shannon was born on April 30, 1916."
    assert answer["tool_calls"] == [] and rec["usage"]["output_tokens"] == 931


def test_a_user_tool_result_inside_an_assistant_message_is_still_a_bad_record():
    content = [{"type": "tool_result", "tool_use_id": "t9", "content": "x"}]
    with pytest.raises(BadRecord, match="tool_result block"):
        parse(pair(content))


def test_a_paused_turn_is_counted_not_kept_as_an_answer():
    content = [
        {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"query": "x"}},
        {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []},
    ]
    obj = pair(content)
    obj["response"]["stop_reason"] = "pause_turn"
    assert parse(obj) == [Ignored("paused turn (the provider's tool loop did not finish)")]
