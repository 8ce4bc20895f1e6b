import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get, sources
from slmconvert.formats.openai_responses import (
    PARTIAL_CHAIN,
    PARTIAL_CONVERSATION,
    PARTIAL_PREVIOUS,
    PARTIAL_REQUEST,
    responses_call,
)
from slmconvert.formats.registry import Ignored, ParseContext, detect_side_input
from slmconvert.stages import collect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
FIXTURE = FIXTURES / "openai-responses.jsonl"
SYSTEM = "You are the support assistant of Acme Outdoor. Use the tools to look up orders."
CHAIN = ("resp_68a1f4a0c3f481909f1dc0ffee000006", "resp_68a1f4b7d1a88190b0e3c0ffee000007")


def fixture():
    return [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


def side_index(objects=None):
    side = get("openai-responses").side_input
    objects = fixture() if objects is None else objects
    return side.finish(dict(pair for obj in objects for pair in side.index(obj)))


def parse(obj, side=None, line=1):
    ctx = ParseContext("openai-responses", "responses.jsonl", line, side or {})
    return list(get("openai-responses").parse(obj, ctx))


def response(output, **fields):
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1746093600,
        "status": "completed",
        "model": "gpt-4.1-mini",
        "output": output,
        "usage": {"input_tokens": 20, "output_tokens": 5},
        **fields,
    }


def text(value, id="msg_1"):
    return {
        "id": id,
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": value, "annotations": []}],
    }


def pair(output, input="Where is A-1?", response_fields=None, **request):
    request = {"model": "gpt-4.1-mini", "input": input, **request}
    return {"request": request, "response": response(output, **(response_fields or {}))}


def test_every_fixture_line_is_detected_as_openai_responses():
    for obj in fixture():
        assert detect(obj).name == "openai-responses"
        parser, side = detect_side_input(obj)
        assert (parser.name, side.name) == ("openai-responses", "openai-responses")


def test_a_plain_call_with_instructions_and_the_loggers_fields():
    (rec,) = parse(fixture()[0])
    assert rec["source"] == {"format": "openai-responses", "file": "responses.jsonl", "line": 1}
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [
        ("system", SYSTEM),
        ("user", "What is your return policy for tents?"),
    ]
    assert rec["response"]["role"] == "assistant"
    assert rec["response"]["content"].startswith("Tents can be returned within 30 days")
    assert rec["response"]["tool_calls"] == [] and rec["tools"] == []
    assert rec["usage"] == {"input_tokens": 52, "output_tokens": 31}
    assert rec["model"] == "gpt-4.1-mini-2025-04-14"
    assert rec["timestamp"] == "2025-05-01T10:00:00.000000Z"
    assert rec["latency_ms"] == 812.5  # the logger's, before completed_at - created_at
    assert rec["workload"] == "support-faq"
    assert rec["has_media"] is False and rec["arguments_valid"] is True


def test_a_function_call_after_reasoning_the_reasoning_never_in_the_answer():
    (rec,) = parse(fixture()[1])
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][1]["content"] == "Where is my order A-1?"
    answer = rec["response"]
    assert answer["content"] is None
    (call,) = answer["tool_calls"]
    assert call == {
        "id": "call_Xk2Lw7GmQ0aN3bR8tY1uV5pE",
        "name": "get_order",
        "arguments": '{"order_id":"A-1"}',
    }
    assert "Looking up the order" not in json.dumps(rec)
    assert [t["name"] for t in rec["tools"]] == ["get_order", "refund_order"]
    assert rec["tools"][0]["description"] == "Look up an order by its id."
    assert json.loads(rec["tools"][1]["parameters"]) == {
        "type": "object",
        "properties": {"order_id": {"type": "string"}, "reason": {"type": "string"}},
        "required": ["order_id", "reason"],
        "additionalProperties": False,
    }
    assert rec["usage"] == {"input_tokens": 143, "output_tokens": 86}
    assert rec["model"] == "o4-mini-2025-04-16"
    assert rec["latency_ms"] == 2000.0  # completed_at - created_at


def test_the_function_output_passed_back_becomes_a_named_tool_message():
    (rec,) = parse(fixture()[2])
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    assistant, result = rec["messages"][2], rec["messages"][3]
    assert assistant["content"] is None
    assert [(c["id"], c["name"]) for c in assistant["tool_calls"]] == [
        ("call_Xk2Lw7GmQ0aN3bR8tY1uV5pE", "get_order")
    ]
    assert (result["tool_call_id"], result["name"]) == (
        "call_Xk2Lw7GmQ0aN3bR8tY1uV5pE",
        "get_order",
    )
    assert json.loads(result["content"])["status"] == "shipped"
    assert (
        rec["response"]["content"]
        == "Your order A-1 has shipped with DHL and should arrive on 3 May."
    )
    assert rec["response"]["tool_calls"] == []


def test_parallel_function_calls_with_the_request_at_top_level():
    obj = fixture()[3]
    assert "request" not in obj and "response" in obj
    (rec,) = parse(obj)
    assert rec["messages"][1]["content"] == "Have orders A-1 and B-7 both shipped?"
    calls = rec["response"]["tool_calls"]
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in calls] == [
        ("call_P4dQ9sR2tU6vW8xY0zA1bC3d", "get_order", {"order_id": "A-1"}),
        ("call_E5fG7hJ9kL1mN3pQ5rS7tU9v", "get_order", {"order_id": "B-7"}),
    ]
    assert rec["model"] == "gpt-4.1-2025-04-14"


def test_an_input_image_is_kept_as_its_kind_in_the_input_output_wrapper():
    obj = fixture()[4]
    assert set(obj) == {"input", "output"}
    (rec,) = parse(obj)
    user = rec["messages"][-1]
    assert user["content"] == "My tent from order B-7 arrived like this. Can I get a refund?"
    assert user["media"] == ["image"] and rec["has_media"] is True
    assert "base64" not in json.dumps(rec) and "/9j/" not in json.dumps(rec)
    answer = rec["response"]  # text and the call after it: one assistant turn
    assert answer["content"].startswith("I'm sorry about that")
    assert [c["name"] for c in answer["tool_calls"]] == ["refund_order"]
    assert json.loads(answer["tool_calls"][0]["arguments"])["reason"] == "damaged on arrival"


def test_a_chained_conversation_is_rebuilt_from_the_earlier_responses():
    lines, side = fixture(), {"openai-responses": side_index()}
    (second,) = parse(lines[6], side)
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "tool"]
    assert second["messages"][1]["content"] == "Can you ship order C-3 to Toronto instead?"
    result = second["messages"][3]  # its call was in the earlier response: named from there
    assert (result["tool_call_id"], result["name"]) == (
        "call_H8jK0lM2nP4qR6sT8uV0wX2y",
        "check_shipping",
    )
    (third,) = parse(lines[7], side)
    assert [(m["role"], m["content"] and m["content"][:16]) for m in third["messages"]] == [
        ("system", SYSTEM[:16]),
        ("user", "Can you ship ord"),  # the first response's input ...
        ("assistant", None),  # ... and output
        ("tool", '{"available": tr'),  # the second response's input ...
        ("assistant", "Yes, we can ship"),  # ... and output
        ("user", "Great, please go"),  # this call's own input
    ]
    assert [m["content"] for m in third["messages"]].count(SYSTEM) == 1  # not carried over
    assert third["response"]["content"].startswith("Done: order C-3 will go to Toronto")


def test_a_chained_call_whose_earlier_response_is_missing_is_kept_and_counted():
    rec, note = parse(fixture()[7])
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][1]["content"] == "Great, please go ahead with standard delivery."
    assert note == Ignored(PARTIAL_PREVIOUS)


def test_a_response_logged_without_its_request_is_not_a_call():
    obj = fixture()[9]
    assert obj["object"] == "response"
    assert parse(obj) == [Ignored("response without its request")]
    assert responses_call(None, obj, ParseContext("openai-responses", "f", 1)) is None


def test_a_web_search_the_provider_ran_is_kept_as_a_provider_call_with_its_sources():
    (rec,) = parse(fixture()[8])
    assert [t["name"] for t in rec["tools"]] == ["web_search"]
    assert json.loads(rec["tools"][0]["parameters"]) == {"properties": {}, "type": "object"}
    call_turn, result = rec["messages"][2], rec["messages"][3]
    (call,) = call_turn["tool_calls"]
    assert (call["id"], call["name"], call["provider"]) == (
        "ws_68a1f5d1c2e08190a8b7c6d5e4f3a209",
        "web_search",
        True,
    )
    assert json.loads(call["arguments"]) == {
        "type": "search",
        "query": "Lake District weather warning this weekend",
    }
    assert (result["role"], result["tool_call_id"], result["name"]) == (
        "tool",
        "ws_68a1f5d1c2e08190a8b7c6d5e4f3a209",
        "web_search",
    )
    assert "metoffice.gov.uk" in result["content"]
    assert rec["response"]["content"].startswith("The Met Office has a yellow wind warning")
    assert rec["response"]["tool_calls"] == []


def test_failed_calls_are_counted_not_kept():
    assert parse(fixture()[10]) == [Ignored("failed call")]
    logged_error = {"request": {"input": "hi"}, "response": None, "error": {"code": "500"}}
    assert detect(logged_error).name == "openai-responses"
    assert parse(logged_error) == [Ignored("failed call")]
    reasoning_only = pair([{"id": "rs_1", "type": "reasoning", "summary": []}])
    reasoning_only["response"]["status"] = "incomplete"
    assert parse(reasoning_only) == [Ignored("failed call")]
    queued = pair([], response_fields={"status": "queued"})
    assert parse(queued) == [Ignored("unfinished call")]


def test_an_incomplete_response_with_an_answer_is_kept():
    obj = pair([text("Your order")], response_fields={"status": "incomplete"})
    (rec,) = parse(obj)
    assert rec["response"]["content"] == "Your order"


def test_streaming_events_are_bad_records_asking_for_the_assembled_response():
    event = {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "Hel",
        "sequence_number": 4,
    }
    assert detect(event).name == "openai-responses"
    with pytest.raises(BadRecord, match="log the assembled response") as exc:
        parse(event)
    assert exc.value.field == "type"
    logged = {"request": {"input": "hi"}, "response": [event]}
    assert detect(logged).name == "openai-responses"
    with pytest.raises(BadRecord, match="streaming"):
        parse(logged)


def test_sniff_leaves_chat_completions_and_anthropic_pairs_alone():
    chat = {
        "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        "response": {"choices": [{"message": {"role": "assistant", "content": "yo"}}]},
    }
    assert not get("openai-responses").sniff(chat)
    claude = {
        "request": {"messages": [{"role": "user", "content": "hi"}], "system": "s"},
        "response": {"type": "message", "content": [{"type": "text", "text": "yo"}]},
    }
    assert not get("openai-responses").sniff(claude)
    litellm = {"call_type": "responses", "response": response([text("x")]), "status": "success"}
    assert not get("openai-responses").sniff(litellm)


def test_a_function_loop_in_one_input_groups_text_and_calls_into_one_assistant_turn():
    items = [
        {"role": "developer", "content": "Answer briefly."},
        {"role": "user", "content": [{"type": "input_text", "text": "A-1 and B-7?"}]},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
        {"type": "function_call", "call_id": "c1", "name": "get_order", "arguments": '{"order_id":"A-1"}'},
        {"type": "function_call", "call_id": "c2", "name": "get_order", "arguments": '{"order_id":"B-7"}'},
        {"type": "function_call_output", "call_id": "c1", "output": "shipped"},
        {"type": "function_call_output", "call_id": "c2", "output": [
            {"type": "input_text", "text": "label:"}, {"type": "input_image", "image_url": "https://x.example/l.png"},
        ]},
    ]  # fmt: skip
    (rec,) = parse(pair([text("Both shipped.")], input=items))
    roles = [m["role"] for m in rec["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "tool"]
    turn = rec["messages"][2]
    assert turn["content"] == "Checking." and [c["id"] for c in turn["tool_calls"]] == ["c1", "c2"]
    second = rec["messages"][4]
    assert (second["tool_call_id"], second["name"], second["content"], second["media"]) == (
        "c2",
        "get_order",
        "label:",
        ["image"],
    )
    assert "gAAAA" not in json.dumps(rec) and "x.example" not in json.dumps(rec)


def test_code_interpreter_file_search_and_mcp_calls_are_provider_calls_with_results():
    output = [
        {"id": "ci_1", "type": "code_interpreter_call", "status": "completed", "container_id": "cntr_1",
         "code": "print(2 + 2)", "outputs": [{"type": "logs", "logs": "4"}, {"type": "image", "url": "https://x.example/p.png"}]},
        {"id": "fs_1", "type": "file_search_call", "status": "completed", "queries": ["return policy"],
         "results": [{"file_id": "file-1", "filename": "policy.pdf", "score": 0.9, "text": "30 days."}]},
        {"id": "mcp_1", "type": "mcp_call", "server_label": "shop", "name": "stock", "arguments": '{"sku":"T-2"}',
         "output": "12 in stock"},
        {"id": "mcpl_1", "type": "mcp_list_tools", "server_label": "shop", "tools": []},
        text("4, 30 days, and 12 tents."),
    ]  # fmt: skip
    (rec,) = parse(pair(output))
    calls = [
        (m["tool_calls"][0]["name"], m["tool_calls"][0]["provider"])
        for m in rec["messages"]
        if m["tool_calls"]
    ]
    assert calls == [("code_interpreter", True), ("file_search", True), ("stock", True)]
    results = [
        (m["name"], m["content"], m.get("media")) for m in rec["messages"] if m["role"] == "tool"
    ]
    assert results == [
        ("code_interpreter", "4", ["image"]),
        ("file_search", "30 days.", None),
        ("stock", "12 in stock", None),
    ]
    assert "policy.pdf" not in json.dumps(rec)
    assert rec["response"]["content"] == "4, 30 days, and 12 tents."


def test_custom_and_builtin_tools_and_a_custom_tool_call():
    tools = [
        {"type": "custom", "name": "run_sql", "description": "Run one SQL query."},
        {"type": "file_search", "vector_store_ids": ["vs_1"]},
        {"type": "mcp", "server_label": "shop", "server_url": "https://mcp.example/sse"},
    ]
    call = {"type": "custom_tool_call", "call_id": "c9", "name": "run_sql", "input": "SELECT 1"}
    (rec,) = parse(pair([call], tools=tools))
    assert [t["name"] for t in rec["tools"]] == ["run_sql", "file_search", "mcp:shop"]
    assert json.loads(rec["tools"][0]["parameters"])["properties"] == {"input": {"type": "string"}}
    (made,) = rec["response"]["tool_calls"]
    assert (made["name"], json.loads(made["arguments"])) == ("run_sql", {"input": "SELECT 1"})
    assert rec["arguments_valid"] is True


def test_a_computer_screenshot_output_is_an_image_kind():
    items = [
        {"role": "user", "content": "Open the orders page."},
        {"type": "computer_call", "id": "cu_1", "call_id": "c1", "status": "completed",
         "action": {"type": "click", "button": "left", "x": 10, "y": 20}, "pending_safety_checks": []},
        {"type": "computer_call_output", "call_id": "c1",
         "output": {"type": "computer_screenshot", "image_url": "data:image/png;base64,iVBOR"}},
    ]  # fmt: skip
    (rec,) = parse(pair([text("It is open.")], input=items))
    call, shot = rec["messages"][1]["tool_calls"][0], rec["messages"][2]
    assert (call["name"], json.loads(call["arguments"])["action"]["type"]) == ("computer", "click")
    assert (shot["name"], shot["content"], shot["media"]) == ("computer", "", ["image"])
    assert "iVBOR" not in json.dumps(rec)


def test_workload_comes_from_the_agent_trace_first_then_the_log():
    obj = fixture()[0]
    agents = {"openai-agents": {"resp_68a1f0c2d4e08190a3b1c0ffee000001": "Triage agent"}}
    (rec,) = parse(obj, side=agents)
    assert rec["workload"] == "Triage agent"
    obj = pair([text("ok")], metadata={"workload_id": "order-status"})
    (rec,) = parse(obj)
    assert rec["workload"] == "order-status"


def test_responses_call_builds_the_record_for_other_formats():
    obj = fixture()[2]
    ctx = ParseContext("openai-agents", "trace.jsonl", 3)
    rec = responses_call(obj["request"], obj["response"], ctx)
    assert rec["source"]["format"] == "openai-agents"
    assert rec["response"]["content"].startswith("Your order A-1 has shipped")


def test_instructions_echoed_by_the_response_are_used_when_the_request_has_none():
    echoed = [
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "Be brief."}],
        }
    ]
    obj = pair([text("ok")], response_fields={"instructions": echoed}, prompt={"id": "pmpt_1"})
    (rec,) = parse(obj)
    assert [(m["role"], m["content"]) for m in rec["messages"]] == [
        ("system", "Be brief."),
        ("user", "Where is A-1?"),
    ]


def test_a_conversation_id_means_a_partial_prompt():
    rec, note = parse(pair([text("ok")], conversation="conv_1"))
    assert rec["response"]["content"] == "ok" and note == Ignored(PARTIAL_CONVERSATION)


def test_chains_that_loop_or_run_too_long_or_lack_a_request():
    def link(i, prev):
        return pair([text(f"answer {i}")], input=f"question {i}", previous_response_id=prev,
                    response_fields={"id": f"resp_{i}"})  # fmt: skip

    loop = [link(1, "resp_2"), link(2, "resp_1")]
    with pytest.raises(BadRecord, match="loops back") as exc:
        parse(loop[1], {"openai-responses": side_index(loop)})
    assert exc.value.field == "request.previous_response_id"
    long = [link(i, f"resp_{i - 1}" if i else None) for i in range(103)]
    rec, note = parse(long[-1], {"openai-responses": side_index(long)})
    assert note == Ignored(PARTIAL_CHAIN)
    assert rec["messages"][0]["content"] == "question 2"  # the last 100 earlier turns
    bare = link(1, None)["response"]
    rec, note = parse(link(2, "resp_1"), {"openai-responses": side_index([bare])})
    assert note == Ignored(PARTIAL_REQUEST)
    assert [m["content"] for m in rec["messages"]] == ["answer 1", "question 2"]


def test_malformed_items_name_their_path_never_their_value():
    canary = "jane.doe@example.org-kind"
    with pytest.raises(BadRecord) as exc:
        parse(pair([text("ok")], input=[{"type": canary, "text": canary}]))
    assert exc.value.field == "request.input[0].type"
    assert canary not in str(exc.value) and "unknown kind" in str(exc.value)
    no_name = {"type": "function_call", "call_id": "c1", "arguments": "{}"}
    with pytest.raises(BadRecord) as exc:
        parse(pair([no_name]))
    assert exc.value.field == "response.output[0].name"
    with pytest.raises(BadRecord) as exc:
        parse(pair({"text": canary}))
    assert exc.value.field == "response.output"
    with pytest.raises(BadRecord) as exc:
        parse(pair([{"id": "rs_1", "type": "reasoning", "summary": []}]))
    assert exc.value.field == "response.output" and "no message" in exc.value.reason


def test_bad_function_arguments_are_kept_verbatim_and_flagged():
    bad = '{"order_id": "A-1"'
    call = {"type": "function_call", "call_id": "c1", "name": "get_order", "arguments": bad}
    (rec,) = parse(pair([call]))
    assert rec["response"]["tool_calls"][0]["arguments"] == bad
    assert rec["arguments_valid"] is False


def test_collect_joins_the_chain_and_counts_what_it_ignores(tmp_path):
    result = collect.run([str(FIXTURE)], tmp_path / "out")
    counts = result.counts
    assert counts["bad"] == 0
    assert counts["records"] == counts["by_format"]["openai-responses"] == 9
    assert counts["ignored_by_reason"] == {"response without its request": 1, "failed call": 1}
    assert counts["with_media"] == 1 and counts["provider_tool_calls"] == 1
    table = pq.read_table(tmp_path / "out" / "data")
    lengths = {row["source"]["line"]: len(row["messages"]) for row in table.to_pylist()}
    assert lengths[7] == 4 and lengths[8] == 6
    side, _, _ = collect._index_side_inputs(sources.expand([str(FIXTURE)]), None, collect.Tally())
    assert sorted(side["openai-responses"]) == sorted(CHAIN)  # only what some call chains to


def test_collect_keeps_a_call_chained_to_a_response_it_does_not_have(tmp_path):
    log = tmp_path / "later.jsonl"
    log.write_text(json.dumps(fixture()[7]) + "\n")
    result = collect.run([str(log)], tmp_path / "out")
    assert result.counts["records"] == 1 and result.counts["bad"] == 0
    assert result.counts["ignored_by_reason"] == {PARTIAL_PREVIOUS: 1}
