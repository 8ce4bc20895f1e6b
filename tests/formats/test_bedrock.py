import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.core.stagedir import open_input
from slmconvert.formats import detect, get
from slmconvert.formats.registry import Ignored, ParseContext
from slmconvert.stages import collect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
FIXTURE = FIXTURES / "bedrock-converse.jsonl"
SYSTEM = (
    "You are the order-support agent of Northwind Outfitters. Look orders up with the tools "
    "before answering; never promise a refund the policy does not allow."
)
SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"


def lines():
    return [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


def parse(obj, line=1):
    ctx = ParseContext("bedrock-converse", "bedrock.jsonl", line)
    return list(get("bedrock-converse").parse(obj, ctx))


def one(obj):
    (rec,) = parse(obj)
    return rec


def pair(answer, messages=None, **request):
    """A request/response pair; ``answer`` is the content of the response message."""
    if messages is None:
        messages = [{"role": "user", "content": [{"text": "Where is NW-1?"}]}]
    response = {"output": {"message": {"role": "assistant", "content": answer}}}
    return {"request": {"modelId": SONNET, "messages": messages, **request}, "response": response}


def log_record(request, response, operation="Converse", **extra):
    """A model invocation log record around a request and response body."""
    return {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": "2025-03-14T10:00:00Z",
        "accountId": "111122223333",
        "identity": {"arn": "arn:aws:sts::111122223333:assumed-role/agent/session-1"},
        "region": "us-east-1",
        "requestId": "5b0c8a7e-3f7d-4a52-9d1e-2c7a1f0e9b44",
        "operation": operation,
        "modelId": SONNET,
        "input": {"inputBodyJson": request, "inputTokenCount": 40},
        "output": {"outputBodyJson": response, "outputTokenCount": 12},
        **extra,
    }


def error_of(obj):
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    return exc.value


# --- the fixture --------------------------------------------------------------------------


def test_every_fixture_line_is_detected_as_bedrock_converse():
    for obj in lines():
        assert detect(obj).name == "bedrock-converse"


def test_first_step_of_a_tool_loop_with_cached_system_prompt_and_tools():
    rec = one(lines()[0])
    assert rec["source"] == {"format": "bedrock-converse", "file": "bedrock.jsonl", "line": 1}
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][0]["content"] == SYSTEM  # the cachePoint block is dropped
    assert rec["messages"][1]["content"] == (
        "Hi, my order NW-10432 still hasn't arrived. Can you check where it is?"
    )
    assert [t["name"] for t in rec["tools"]] == ["get_order", "track_shipment"]
    assert rec["tools"][0]["description"] == (
        "Look up an order by its id: status, items, carrier and tracking number."
    )
    assert json.loads(rec["tools"][0]["parameters"]) == {
        "type": "object",
        "properties": {"order_id": {"type": "string", "description": "Order id, e.g. NW-10432"}},
        "required": ["order_id"],
    }
    assert rec["response"]["role"] == "assistant"
    assert rec["response"]["content"] == "Let me look up order NW-10432."
    (call,) = rec["response"]["tool_calls"]
    assert call == {
        "id": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
        "name": "get_order",
        "arguments": '{"order_id":"NW-10432"}',
    }
    # inputTokens leaves cache reads and writes out: the record counts the whole prompt
    assert rec["usage"] == {"input_tokens": 22 + 0 + 1202, "output_tokens": 58}
    assert rec["model"] == SONNET
    assert rec["timestamp"] == "2025-03-14T09:21:07.000000Z"
    assert rec["latency_ms"] == 1432.0
    assert rec["workload"] == "order-support"
    assert rec["has_media"] is False
    assert rec["arguments_valid"] is True


def test_second_step_carries_the_json_tool_result_as_a_named_tool_message():
    rec = one(lines()[1])
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    assistant, result = rec["messages"][2], rec["messages"][3]
    assert assistant["content"] == "Let me look up order NW-10432."
    assert assistant["tool_calls"][0]["id"] == "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"
    assert result["tool_call_id"] == "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"
    assert result["name"] == "get_order"
    # a json block becomes canonical JSON text (sorted keys, no spaces)
    assert result["content"].startswith('{"carrier":"UPS","items":[')
    assert json.loads(result["content"])["tracking_number"] == "1Z999AA10123456784"
    assert rec["response"]["content"] is None
    (call,) = rec["response"]["tool_calls"]
    assert (call["id"], call["name"]) == ("tooluse_Q2yX3n7aRb-8uYcV0pW1tg", "track_shipment")
    assert json.loads(call["arguments"]) == {
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
    }
    assert rec["usage"] == {"input_tokens": 131 + 1202 + 0, "output_tokens": 71}


def test_invocation_log_with_an_image_and_parallel_tool_calls():
    rec = one(lines()[2])
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    user = rec["messages"][1]
    assert user["media"] == ["image"]
    assert user["content"].startswith("The zipper on this jacket broke after two weeks.")
    assert rec["has_media"] is True
    assert rec["response"]["content"] == (
        "I'm sorry about the zipper. I'll check both orders and the return policy for jackets."
    )
    calls = rec["response"]["tool_calls"]
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in calls] == [
        ("tooluse_1aB2cD3eF4gH5iJ6kL7mN8", "get_order", {"order_id": "NW-10511"}),
        ("tooluse_9oP8qR7sT6uV5wX4yZ3aB2", "get_order", {"order_id": "NW-10498"}),
        ("tooluse_C1dE2fG3hI4jK5lM6nO7pQ", "get_return_policy", {"category": "outerwear"}),
    ]
    assert [t["name"] for t in rec["tools"]] == ["get_order", "get_return_policy"]
    assert rec["usage"] == {"input_tokens": 1688, "output_tokens": 164}
    assert rec["model"] == SONNET
    assert rec["timestamp"] == "2025-03-14T10:02:44.000000Z"
    assert rec["latency_ms"] == 2311.0
    assert rec["workload"] is None


def test_no_account_identity_or_media_location_reaches_a_record():
    for obj in lines():
        for rec in parse(obj):
            if isinstance(rec, dict):
                text = json.dumps(rec)
                for secret in ("111122223333", "arn:", "assumed-role", "s3://", "JVBERi0"):
                    assert secret not in text
                assert "warranty-terms" not in text  # a document's name is not kept


def test_parallel_results_come_back_as_tool_messages_and_reasoning_stays_out():
    rec = one(lines()[3])
    roles = [m["role"] for m in rec["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "tool", "tool"]
    assert len(rec["messages"][2]["tool_calls"]) == 3
    results = rec["messages"][3:]
    assert [(m["tool_call_id"], m["name"]) for m in results] == [
        ("tooluse_1aB2cD3eF4gH5iJ6kL7mN8", "get_order"),
        ("tooluse_9oP8qR7sT6uV5wX4yZ3aB2", "get_order"),
        ("tooluse_C1dE2fG3hI4jK5lM6nO7pQ", "get_return_policy"),
    ]
    assert json.loads(results[0]["content"])["delivered_on"] == "2025-02-27"
    assert results[1]["content"] == "Order service timeout; try again later."  # status: error
    assert json.loads(results[2]["content"])["window_days"] == 60
    answer = rec["response"]["content"]
    assert answer.startswith("Good news: the jacket from NW-10511 is covered.")
    assert "15 days ago" not in json.dumps(rec)  # the reasoning text is never kept
    assert rec["response"]["tool_calls"] == []
    assert rec["model"] == "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    assert rec["timestamp"] == "2025-03-14T10:03:20.000000Z"  # epoch seconds
    assert rec["has_media"] is True  # the image is in the history


def test_a_document_block_is_kept_as_a_file_kind_only():
    rec = one(lines()[4])
    (user,) = rec["messages"]
    assert user["role"] == "user"
    assert user["media"] == ["file"]
    assert user["content"] == (
        "Summarise the warranty terms in this PDF in three bullet points for a customer."
    )
    assert rec["response"]["content"].startswith("- Tents and jackets are covered for 1 year")
    assert rec["tools"] == []
    assert rec["model"] == "amazon.nova-pro-v1:0"
    assert rec["workload"] == "warranty-summaries"
    assert rec["usage"] == {"input_tokens": 1840, "output_tokens": 52}


def test_converse_stream_log_through_an_inference_profile_arn_with_guard_content():
    rec = one(lines()[5])
    assert [m["content"] for m in rec["messages"]] == [SYSTEM, "Do you ship tents to Canada?"]
    assert rec["response"]["content"].startswith("Yes. We ship tents to Canada;")
    # the ARN names the account: only its resource path is kept
    assert rec["model"] == "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    assert rec["usage"] == {"input_tokens": 9 + 402 + 0, "output_tokens": 31}
    assert rec["latency_ms"] == 611.0


def test_lines_that_are_not_calls_to_keep_are_ignored_with_a_reason():
    objs = lines()
    assert parse(objs[6]) == [Ignored("body stored in S3")]
    assert parse(objs[7]) == [Ignored("response without its request")]
    assert parse(objs[9]) == [Ignored("InvokeModel body not in Converse shape")]
    assert parse(objs[10]) == [Ignored("failed call")]


def test_invoke_model_with_an_anthropic_body_is_read_with_the_anthropic_converters():
    rec = one(lines()[8])
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][0]["content"] == SYSTEM
    assert rec["messages"][1]["content"] == "What is the return window for boots?"
    assert rec["response"]["content"] == (
        "Boots can be returned within 60 days of delivery if they are unworn."
    )
    assert rec["usage"] == {"input_tokens": 61, "output_tokens": 19}
    assert rec["model"] == "anthropic.claude-3-haiku-20240307-v1:0"  # the log's modelId
    assert rec["timestamp"] == "2025-03-14T14:12:30.000000Z"


def test_collect_reads_the_fixture_end_to_end(tmp_path):
    result = collect.run([str(FIXTURE)], tmp_path / "out")
    assert result.counts["bad"] == 0
    assert result.counts["records"] == 7
    assert result.counts["by_format"] == {"bedrock-converse": 7}
    assert result.counts["ignored_by_reason"] == {
        "body stored in S3": 1,
        "response without its request": 1,
        "InvokeModel body not in Converse shape": 1,
        "failed call": 1,
    }
    assert result.counts["with_media"] == 3
    assert result.counts["media_by_kind"] == {"file": 1, "image": 2}
    rows = open_input(tmp_path / "out", expect=("collect",)).read_table().to_pylist()
    assert {r["model"] for r in rows} >= {SONNET, "amazon.nova-pro-v1:0"}
    assert all(r["source"]["format"] == "bedrock-converse" for r in rows)


# --- shapes beyond the fixture ------------------------------------------------------------


def test_log_token_counts_fill_in_when_the_body_has_no_usage():
    request = {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}
    response = {"output": {"message": {"role": "assistant", "content": [{"text": "Hello!"}]}}}
    obj = log_record(request, response)
    obj["input"]["cacheReadInputTokenCount"] = 300
    rec = one(obj)
    assert rec["usage"] == {"input_tokens": 40 + 300, "output_tokens": 12}
    assert rec["latency_ms"] is None


def test_log_records_without_a_body_or_of_other_operations_are_ignored():
    body = {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}
    no_body = log_record(body, None)
    del no_body["output"]["outputBodyJson"]
    assert parse(no_body) == [Ignored("body not logged")]
    assert parse(log_record(body, {}, operation="ApplyGuardrail")) == [Ignored("not an LLM call")]


def test_a_provider_run_tool_splits_the_answer_around_its_result():
    answer = [
        {"toolUse": {"toolUseId": "t1", "name": "web_grounding", "type": "server_tool_use",
                     "input": {"query": "UPS delays Denver"}}},
        {"toolResult": {"toolUseId": "t1", "content": [{"text": "No delays reported."}]}},
        {"text": "UPS reports no delays in Denver today."},
    ]  # fmt: skip
    rec = one(pair(answer))
    assert [m["role"] for m in rec["messages"]] == ["user", "assistant", "tool"]
    (call,) = rec["messages"][1]["tool_calls"]
    assert (call["name"], call["provider"]) == ("web_grounding", True)
    assert rec["messages"][2]["tool_call_id"] == "t1"
    assert rec["messages"][2]["name"] == "web_grounding"
    assert rec["response"]["content"] == "UPS reports no delays in Denver today."


def test_system_tools_cache_points_citations_and_search_results():
    messages = [
        {"role": "user", "content": [
            {"searchResult": {"source": "kb://faq", "title": "FAQ",
                              "content": [{"text": "Tents ship in 2 days."}]}},
            {"text": "How fast do tents ship?"},
            {"cachePoint": {"type": "default"}},
        ]},
    ]  # fmt: skip
    answer = [{"citationsContent": {"content": [{"text": "Tents ship in 2 days."}],
                                    "citations": [{"title": "FAQ"}]}}]  # fmt: skip
    tools = {"tools": [{"systemTool": {"name": "nova_grounding"}}, {"cachePoint": {}}]}
    rec = one(pair(answer, messages, toolConfig=tools))
    assert rec["messages"][0]["content"] == "Tents ship in 2 days.\nHow fast do tents ship?"
    assert rec["response"]["content"] == "Tents ship in 2 days."
    assert [(t["name"], t["description"]) for t in rec["tools"]] == [("nova_grounding", None)]


def test_an_answer_made_only_of_reasoning_is_a_bad_record():
    thought = {"reasoningContent": {"reasoningText": {"text": "Hmm.", "signature": "x"}}}
    assert error_of(pair([thought])).field == "response"


def test_sniff_leaves_other_providers_pairs_alone():
    anthropic = {
        "request": {"model": "claude", "messages": [{"role": "user", "content": "hi"}]},
        "response": {"type": "message", "content": [{"type": "text", "text": "hello"}]},
    }
    openai = {
        "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        "response": {"choices": [{"message": {"role": "assistant", "content": "hello"}}]},
    }
    assert detect(anthropic).name == "anthropic"
    assert detect(openai).name != "bedrock-converse"


def test_a_converse_request_logged_without_its_response_is_a_bad_record():
    obj = pair([{"text": "ok"}])
    obj["response"] = None
    assert detect(obj).name == "bedrock-converse"
    assert error_of(obj).field == "response"


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (pair([{"toolUse": {"toolUseId": "t1", "input": {}}}]),
         "response.output.message.content[0].toolUse.name"),
        (pair([{"text": "ok"}], [{"role": "user", "content": [{"secret-kind": "x"}]}]),
         "request.messages[0].content[0]"),
        (pair([{"toolResult": {"toolUseId": "t9", "content": [{"text": "x"}]}}]),
         "response.output.message.content[0].toolResult"),
        (pair([{"text": "ok"}], [{"role": "user", "content": [{"toolResult": {"content": []}}]}]),
         "request.messages[0].content[0].toolResult.toolUseId"),
        (pair([{"text": "ok"}], [{"role": "system", "content": [{"text": "x"}]}]),
         "request.messages[0].role"),
        (pair([{"text": "ok"}], system=[{"text": 7}]), "request.system[0].text"),
        (pair([{"text": "ok"}], toolConfig={"tools": [{"toolSpec": {"description": "d"}}]}),
         "request.toolConfig.tools[0].toolSpec.name"),
        (pair([]), "response"),
        (pair([{"text": "ok"}], []), "messages"),
        ({"request": {"modelId": "m"}, "response": {"output": {"message": {"content": []}}}},
         "request.messages"),
    ],
)  # fmt: skip
def test_a_malformed_call_names_the_field_path(obj, field):
    assert error_of(obj).field == field


def test_an_unknown_block_is_reported_without_its_name_or_content():
    messages = [{"role": "user", "content": [{"jane.roe@example.net": "her address"}]}]
    err = error_of(pair([{"text": "ok"}], messages))
    assert "jane" not in str(err) and "address" not in str(err)


def test_a_response_logged_as_stream_events_asks_for_the_assembled_response():
    obj = pair([{"text": "ok"}])
    obj["response"] = [{"messageStart": {"role": "assistant"}}]
    err = error_of(obj)
    assert err.field == "response"
    assert "streaming" in err.reason


def test_a_response_from_a_user_role_is_rejected():
    obj = pair([{"text": "ok"}])
    obj["response"]["output"]["message"]["role"] = "user"
    assert error_of(obj).field == "response.output.message.role"
