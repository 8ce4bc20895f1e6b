import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext
from slmconvert.stages import collect

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "gemini.jsonl"
SYSTEM = (
    "You are the support assistant of Acme Outdoor. Use the tools to look up orders, "
    "shipments and stock; never guess an order's status."
)
ASK = "Hi, where is my order A-1042? It was supposed to arrive yesterday."


def fixture():
    return [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


def parse(obj, line=1):
    return list(get("gemini").parse(obj, ParseContext("gemini", "gemini.jsonl", line)))


def one(obj):
    (rec,) = parse(obj)
    return rec


def pair(parts, contents=None, finish="STOP", usage=None, **request):
    """A REST-shaped request/response pair answering ``contents`` with ``parts``."""
    request.setdefault("contents", contents or [{"role": "user", "parts": [{"text": "Hi"}]}])
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": finish}
    response = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}
    if usage is not None:
        response["usageMetadata"] = usage
    return {"request": {"model": "gemini-2.5-flash", **request}, "response": response}


def bad(obj):
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    return exc.value


# --- the fixture, line by line ------------------------------------------------------------


def test_every_fixture_line_is_detected_as_gemini():
    for obj in fixture():
        assert detect(obj).name == "gemini"


def test_a_rest_call_drops_the_thought_and_keeps_the_function_call():
    rec = one(fixture()[0])
    assert rec["source"] == {"format": "gemini", "file": "gemini.jsonl", "line": 1}
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][0]["content"] == SYSTEM
    assert rec["messages"][1]["content"] == ASK
    assert [t["name"] for t in rec["tools"]] == ["get_order", "track_shipment", "check_stock"]
    assert rec["tools"][0]["description"] == "Look up an order by its id."
    assert json.loads(rec["tools"][0]["parameters"]) == {
        "type": "object",
        "properties": {"order_id": {"type": "string", "description": "Order id, e.g. A-1042"}},
        "required": ["order_id"],
    }
    answer = rec["response"]
    assert answer["role"] == "assistant" and answer["content"] is None  # the thought is gone
    (call,) = answer["tool_calls"]
    assert (call["id"], call["name"]) == ("call-1-0", "get_order")
    assert json.loads(call["arguments"]) == {"order_id": "A-1042"}
    assert "Locating" not in json.dumps(rec)
    assert rec["usage"] == {"input_tokens": 212, "output_tokens": 18 + 71}  # answer + thoughts
    assert rec["model"] == "gemini-2.5-flash"
    assert rec["timestamp"] == "2025-06-02T09:14:05.000000Z"
    assert rec["has_media"] is False and rec["arguments_valid"] is True


def test_an_sdk_dump_with_an_image_and_parallel_calls():
    rec = one(fixture()[1])
    system, user = rec["messages"]
    assert (system["role"], system["content"]) == ("system", SYSTEM)  # from config
    assert user["content"].startswith("The front pole of the tent from order A-1042 snapped")
    assert user["media"] == ["image"] and rec["has_media"] is True
    assert "9j/4AAQ" not in json.dumps(rec)  # the image bytes are not kept
    calls = rec["response"]["tool_calls"]
    assert [(c["id"], c["name"]) for c in calls] == [
        ("call-1-0", "get_order"),
        ("call-1-1", "check_stock"),
        ("call-1-2", "check_stock"),
    ]
    assert [json.loads(c["arguments"]) for c in calls[1:]] == [
        {"sku": "TENT-2P-POLE-F"},
        {"sku": "TENT-2P-FOOTPRINT"},
    ]
    # the SDK's Schema ("OBJECT", "STRING") reads as JSON Schema, like the REST line's tools
    assert rec["tools"] == one(fixture()[0])["tools"]
    assert rec["usage"] == {"input_tokens": 1498, "output_tokens": 61}
    assert rec["model"] == "gemini-2.5-flash"
    assert rec["timestamp"] == "2025-06-02T09:20:00.000000Z"


def test_a_vertex_logging_row_holding_a_two_step_function_loop():
    rec = one(fixture()[2])
    roles = [m["role"] for m in rec["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool"]
    first, result1, second, result2 = rec["messages"][2:]
    assert first["content"] is None
    assert [(c["id"], c["name"]) for c in first["tool_calls"]] == [("call-1-0", "get_order")]
    assert (result1["tool_call_id"], result1["name"]) == ("call-1-0", "get_order")
    assert json.loads(result1["content"])["result"]["tracking_number"] == "1Z999AA10123456784"
    assert second["content"] == "The order has shipped; let me check the carrier."
    assert [(c["id"], c["name"]) for c in second["tool_calls"]] == [("call-3-0", "track_shipment")]
    assert (result2["tool_call_id"], result2["name"]) == ("call-3-0", "track_shipment")
    assert json.loads(result2["content"]) == {
        "result": {
            "carrier": "UPS",
            "status": "delayed",
            "last_scan": "Reno, NV",
            "new_eta": "2025-06-04",
        }
    }
    assert rec["response"]["content"].startswith("Your order A-1042 shipped on 29 May with UPS")
    assert rec["response"]["tool_calls"] == []
    assert rec["usage"] == {"input_tokens": 498, "output_tokens": 44}
    assert rec["model"] == "gemini-2.5-flash"
    assert rec["timestamp"] == "2025-06-02T09:14:19.482000Z"  # logging_time
    assert rec["latency_ms"] == 1578.0  # metadata.request_latency


def test_code_execution_is_a_provider_call_followed_by_its_result():
    rec = one(fixture()[3])
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    ran, result = rec["messages"][2:]
    assert ran["content"] == "I'll compute the mean and the population standard deviation."
    (call,) = ran["tool_calls"]
    assert (call["id"], call["name"], call["provider"]) == ("call-1-0", "code_execution", True)
    args = json.loads(call["arguments"])
    assert args["language"] == "PYTHON" and "statistics.pstdev" in args["code"]
    assert (result["tool_call_id"], result["name"]) == ("call-1-0", "code_execution")
    assert result["content"] == "12.43 5.21 ['Thu']\n"
    assert rec["response"]["content"].startswith("The mean is 12.43 returns a day")
    assert rec["tools"] == [
        {
            "name": "code_execution",
            "description": "built-in tool run by Google",
            "parameters": '{"properties":{},"type":"object"}',
        }
    ]
    # prompt + tool-use prompt tokens in; answer + thought tokens out
    assert rec["usage"] == {"input_tokens": 96 + 231, "output_tokens": 187 + 101}


def test_parallel_results_in_one_user_turn_link_to_their_calls():
    rec = one(fixture()[4])
    assert [m["role"] for m in rec["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "tool",
        "tool",
    ]
    calls = rec["messages"][2]["tool_calls"]
    results = rec["messages"][3:]
    assert [r["tool_call_id"] for r in results] == [c["id"] for c in calls]
    assert [r["name"] for r in results] == ["get_order", "check_stock", "check_stock"]
    assert json.loads(results[1]["content"])["result"]["sku"] == "TENT-2P-POLE-F"
    assert json.loads(results[2]["content"])["result"]["in_stock"] == 0
    assert rec["messages"][1]["media"] == ["image"]
    assert "16 June" in rec["response"]["content"]
    assert rec["usage"] == {"input_tokens": 1702, "output_tokens": 52}


def test_a_file_part_is_kept_as_its_kind_only():
    rec = one(fixture()[5])
    user = rec["messages"][1]
    assert (user["content"], user["media"]) == (
        "This is my invoice. Was I charged for shipping?",
        ["file"],
    )
    assert "gs://" not in json.dumps(rec) and "A-1042.pdf" not in json.dumps(rec)
    assert rec["tools"] == [] and rec["model"] == "gemini-2.0-flash"


def test_a_blocked_prompt_and_a_failed_call_are_ignored():
    assert parse(fixture()[6]) == [Ignored("blocked by the provider")]
    assert parse(fixture()[7]) == [Ignored("failed call")]


def test_collect_reads_the_fixture_end_to_end(tmp_path):
    result = collect.run([str(FIXTURE)], tmp_path / "out")
    assert result.counts["bad"] == 0
    assert result.counts["records"] == 6
    assert result.counts["by_format"] == {"gemini": 6}
    assert result.counts["ignored_by_reason"] == {"blocked by the provider": 1, "failed call": 1}
    assert result.counts["with_media"] == 3
    assert result.counts["media_by_kind"] == {"file": 1, "image": 2}
    assert result.counts["provider_tool_calls"] == 1


# --- shapes beyond the fixture ------------------------------------------------------------


def test_vertex_payloads_logged_as_json_text():
    row = fixture()[2]
    row["full_request"] = json.dumps(row["full_request"])
    row["full_response"] = json.dumps(row["full_response"])
    row["metadata"] = json.dumps(row["metadata"])
    assert detect(row).name == "gemini"
    assert one(row) == one(fixture()[2])


def test_explicit_ids_link_calls_and_responses_whatever_their_order():
    contents = [
        {"role": "user", "parts": [{"text": "Stock of two SKUs?"}]},
        {
            "role": "model",
            "parts": [
                {"functionCall": {"id": "fc-a", "name": "check_stock", "args": {"sku": "A"}}},
                {"functionCall": {"id": "fc-b", "name": "check_stock", "args": {"sku": "B"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"id": "fc-b", "name": "check_stock", "response": {"n": 2}}},
                {"functionResponse": {"id": "fc-a", "name": "check_stock", "response": {"n": 0}}},
            ],
        },
    ]
    rec = one(pair([{"text": "A is out, B has 2."}], contents=contents))
    call_turn, first, second = rec["messages"][1:]
    assert [c["id"] for c in call_turn["tool_calls"]] == ["fc-a", "fc-b"]
    assert [
        (first["tool_call_id"], first["content"]),
        (second["tool_call_id"], second["content"]),
    ] == [
        ("fc-b", '{"n":2}'),
        ("fc-a", '{"n":0}'),
    ]


def test_null_fields_of_an_sdk_dump_count_as_absent():
    part = {
        "text": None,
        "thought": None,
        "inline_data": None,
        "file_data": None,
        "function_call": {"id": None, "name": "get_order", "args": {"order_id": "A-1"}},
        "function_response": None,
        "executable_code": None,
        "code_execution_result": None,
        "thought_signature": None,
        "video_metadata": None,
    }
    tools = [
        {
            "function_declarations": [
                {
                    "name": "get_order",
                    "description": None,
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {"order_id": {"type": "STRING", "any_of": None}},
                        "required": ["order_id"],
                        "nullable": None,
                    },
                }
            ],
            "google_search": None,
            "code_execution": None,
        }
    ]
    obj = {
        "request": {
            "contents": [{"role": "user", "parts": [{"text": "Where is A-1?"}]}],
            "config": {"tools": tools, "system_instruction": None},
        },
        "response": {
            "candidates": [
                {"content": {"role": "model", "parts": [part]}, "finish_reason": "STOP"}
            ],
            "prompt_feedback": None,
            "usage_metadata": {"prompt_token_count": 20, "candidates_token_count": 9},
            "model_version": "gemini-2.5-flash",
        },
    }
    assert detect(obj).name == "gemini"
    rec = one(obj)
    assert [m["role"] for m in rec["messages"]] == ["user"]
    assert rec["response"]["tool_calls"][0]["id"] == "call-1-0"
    (fn,) = rec["tools"]
    assert (fn["name"], fn["description"]) == ("get_order", None)
    assert json.loads(fn["parameters"]) == {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    }
    assert rec["usage"] == {"input_tokens": 20, "output_tokens": 9}


def test_built_in_tools_are_named_by_their_key_and_json_schemas_kept_as_given():
    schema = {"type": "object", "properties": {"q": {"type": ["string", "null"]}}}
    tools = [
        {"googleSearch": {}},
        {"url_context": {}},
        {"functionDeclarations": [{"name": "search_kb", "parametersJsonSchema": schema}]},
    ]
    rec = one(pair([{"text": "ok"}], tools=tools))
    assert [t["name"] for t in rec["tools"]] == ["google_search", "url_context", "search_kb"]
    assert json.loads(rec["tools"][2]["parameters"]) == schema


def test_sdk_shorthands_for_contents_and_the_system_instruction():
    obj = pair([{"text": "Hello!"}], systemInstruction=["Be brief.", {"text": "Be kind."}])
    obj["request"]["contents"] = ["Hi", "there"]
    rec = one(obj)
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [
        ("system", "Be brief.\nBe kind."),
        ("user", "Hi\nthere"),
    ]
    obj["request"]["contents"] = "Hi there"
    assert one(obj)["messages"][1]["content"] == "Hi there"


def test_a_legacy_function_role_turn_and_an_unmatched_response():
    contents = [
        {"role": "user", "parts": [{"text": "Where is A-1?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_order", "args": {}}}]},
        {
            "role": "function",
            "parts": [{"functionResponse": {"name": "get_order", "response": {}}}],
        },
        {"role": "user", "parts": [{"functionResponse": {"name": "refund", "response": "done"}}]},
    ]
    rec = one(pair([{"text": "Done."}], contents=contents))
    linked, unmatched = rec["messages"][2:]
    assert (linked["tool_call_id"], linked["name"], linked["content"]) == (
        "call-1-0",
        "get_order",
        "{}",
    )
    assert (unmatched["tool_call_id"], unmatched["name"], unmatched["content"]) == (
        None,
        "refund",
        "done",
    )


def test_model_output_media_and_an_image_in_a_function_response():
    image = {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo"}}
    contents = [
        {"role": "user", "parts": [{"text": "Show the label"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "label", "args": {}}}]},
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "label", "response": {"ok": True}, "parts": [image]}}
            ],
        },
    ]
    rec = one(pair([{"text": "Here it is:"}, image], contents=contents))
    assert rec["messages"][-1]["media"] == ["image"]
    assert rec["response"]["media"] == ["image"] and rec["response"]["content"] == "Here it is:"


def test_token_counts_fall_back_to_total_minus_input():
    usage = {"promptTokenCount": 40, "totalTokenCount": 52}
    assert one(pair([{"text": "ok"}], usage=usage))["usage"] == {
        "input_tokens": 40,
        "output_tokens": 12,
    }


def test_answers_that_never_came_are_ignored():
    blocked = pair([])
    blocked["response"]["candidates"] = [{"finishReason": "SAFETY", "safetyRatings": []}]
    assert parse(blocked) == [Ignored("blocked by the provider")]
    empty = pair([])
    empty["response"]["candidates"] = [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS"}]
    assert parse(empty) == [Ignored("failed call")]
    thinking = pair([{"text": "Let me think", "thought": True}], finish="MAX_TOKENS")
    assert parse(thinking) == [Ignored("failed call")]


def test_streaming_chunks_are_bad_records_with_a_reason():
    chunk = pair([{"text": "Your order"}], finish=None, usage={"promptTokenCount": 9})
    del chunk["response"]["candidates"][0]["finishReason"]
    exc = bad(chunk)
    assert exc.field == "response.candidates[0].finishReason" and "streaming" in exc.reason
    chunks = pair([{"text": "ok"}])
    chunks["response"] = [chunks["response"], chunks["response"]]
    assert detect(chunks).name == "gemini"
    exc = bad(chunks)
    assert exc.field == "response" and "streaming" in exc.reason


def test_malformed_parts_name_their_path_never_their_value():
    contents = [
        {"role": "user", "parts": [{"text": "Hi"}]},
        {"role": "model", "parts": [{"functionCall": {"args": {"order_id": "A-1"}}}]},
    ]
    exc = bad(pair([{"text": "ok"}], contents=contents))
    assert exc.field == "request.contents[1].parts[0].functionCall.name"
    snake = pair([{"function_call": {"name": 7}}])
    assert bad(snake).field == "response.candidates[0].content.parts[0].function_call.name"
    secret = "jane.doe@example.org"
    exc = bad(pair([{"text": "ok"}], contents=[{"role": secret, "parts": [{"text": "Hi"}]}]))
    assert exc.field == "request.contents[0].role" and secret not in str(exc)
    exc = bad(pair([{"text": "ok"}], contents=[{"role": "user", "parts": [{secret: secret}]}]))
    assert exc.field == "request.contents[0].parts[0]" and secret not in str(exc)
    exc = bad(pair([{"text": {"value": secret}}]))
    assert exc.field == "response.candidates[0].content.parts[0].text"
    assert secret not in str(exc)


def test_parts_in_the_wrong_turn_are_bad_records():
    reply = {"functionResponse": {"name": "get_order", "response": {}}}
    assert bad(pair([reply])).field == "response.candidates[0].content.parts[0].functionResponse"
    call = {"functionCall": {"name": "get_order"}}
    exc = bad(pair([{"text": "ok"}], contents=[{"role": "user", "parts": [call]}]))
    assert exc.field == "request.contents[0].parts[0].functionCall"


def test_sniff_tells_gemini_from_openai_and_anthropic_pairs():
    openai_pair = {
        "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        "response": {"choices": [{"message": {"role": "assistant", "content": "yo"}}]},
    }
    anthropic_pair = {
        "request": {"system": "s", "messages": [{"role": "user", "content": "hi"}]},
        "response": {"type": "message", "content": [{"type": "text", "text": "yo"}]},
    }
    assert not get("gemini").sniff(openai_pair) and not get("gemini").sniff(anthropic_pair)
    top_level = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "response": {
            "candidates": [{"content": {"parts": [{"text": "yo"}]}, "finishReason": "STOP"}]
        },
    }
    assert detect(top_level).name == "gemini"
    assert one(top_level)["response"]["content"] == "yo"
    no_response = {"request": {"contents": [{"parts": [{"text": "hi"}]}]}, "response": None}
    assert detect(no_response).name == "gemini"
    assert bad(no_response).field == "response"
