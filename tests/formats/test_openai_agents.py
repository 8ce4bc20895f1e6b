import copy
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.openai_agents import SIDE_NAME, finish, index
from slmconvert.formats.registry import Ignored, ParseContext
from slmconvert.stages import collect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE = FIXTURES / "formats" / "openai-agents.jsonl"
JOIN = FIXTURES / "agents-join"
USER_A = (
    "Hi, my order A-1042 was supposed to arrive yesterday and it's still not here. "
    "Can I get the shipping fee back?"
)
LOOKUP = '{"status":"delayed","carrier":"UPS","tracking":"1Z999AA10123456784","eta":"2025-03-14"}'


def fixture():
    return [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


def parse(obj, line=1, side=None):
    ctx = ParseContext("openai-agents", "traces.jsonl", line, side if side is not None else {})
    return list(get("openai-agents").parse(obj, ctx))


def records(out):
    return [item for item in out if isinstance(item, dict)]


def side_of(objects):
    """The side table collect builds from a trace file: index every object, then finish."""
    table = {}
    for obj in objects:
        table.update(index(obj))
    return {SIDE_NAME: finish(table)}


def span(span_type="generation", **data):
    return {
        "object": "trace.span",
        "id": "span_aaaaaaaaaaaaaaaaaaaaaaaa",
        "trace_id": "trace_00000000000000000000000000000000",
        "parent_id": None,
        "started_at": "2025-03-12T09:00:00.000000+00:00",
        "ended_at": "2025-03-12T09:00:01.500000+00:00",
        "span_data": {"type": span_type, **data},
        "error": None,
    }


def generation(output=None, **data):
    data.setdefault("input", [{"role": "user", "content": "Where is A-1?"}])
    data.setdefault("model", "gpt-4o-mini")
    if output is None:
        output = [{"role": "assistant", "content": "It shipped.", "tool_calls": None}]
    return span("generation", output=output, **data)


def test_every_fixture_line_is_detected_as_openai_agents():
    for obj in fixture():
        assert detect(obj).name == "openai-agents"


def test_other_shapes_are_not_claimed():
    assert detect({"object": "list", "data": [{"object": "embedding", "embedding": [0.1]}]}) is None
    assert not get("openai-agents").sniff({"data": []})
    assert not get("openai-agents").sniff({"object": "response", "id": "resp_1", "output": []})
    assert not get("openai-agents").sniff({"object": "trace.span", "id": "span_1"})


def test_an_export_batch_gives_its_generation_spans_in_order_and_ignores_the_rest():
    out = parse(fixture()[0])
    assert len(out) == 11
    kinds = ["record" if isinstance(item, dict) else item.reason for item in out]
    assert kinds == [
        "not an LLM call",  # the trace
        "record",
        "not an LLM call",  # function span
        "record",
        "not an LLM call",  # handoff span
        "not an LLM call",  # agent span
        "record",
        "not an LLM call",
        "not an LLM call",
        "record",
        "not an LLM call",
    ]


def test_a_generation_span_with_a_tool_call():
    rec = records(parse(fixture()[0], line=1))[0]
    assert rec["source"] == {"format": "openai-agents", "file": "traces.jsonl", "line": 1}
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["messages"][0]["content"].startswith("You are the triage agent of Acme Outdoor")
    assert rec["messages"][1]["content"] == USER_A
    assert rec["response"]["role"] == "assistant"
    assert rec["response"]["content"] is None
    (call,) = rec["response"]["tool_calls"]
    assert call["id"] == "call_Qm4xT8vLr2NcW7pZ1kYb9sHd"
    assert call["name"] == "lookup_order"
    assert call["arguments"] == '{"order_id":"A-1042"}'
    assert rec["tools"] == []  # the trace names the agent's tools but holds no schemas
    assert rec["model"] == "gpt-4o-mini"
    assert rec["usage"] == {"input_tokens": 412, "output_tokens": 18}
    assert rec["timestamp"] == "2025-03-12T09:14:03.118204Z"
    assert rec["latency_ms"] == pytest.approx(912.307)
    assert rec["workload"] == "Triage agent"  # resolved within the batch
    assert rec["has_media"] is False
    assert rec["arguments_valid"] is True


def test_the_tool_result_turn_and_a_handoff_call():
    rec = records(parse(fixture()[0]))[1]
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant", "tool"]
    asked = rec["messages"][2]
    assert asked["content"] is None
    assert asked["tool_calls"][0]["id"] == "call_Qm4xT8vLr2NcW7pZ1kYb9sHd"
    result = rec["messages"][3]
    assert result["tool_call_id"] == "call_Qm4xT8vLr2NcW7pZ1kYb9sHd"
    assert result["name"] == "lookup_order"  # from the call it answers
    assert result["content"] == LOOKUP
    assert rec["response"]["content"].startswith("Your order A-1042 is delayed")
    (handoff,) = rec["response"]["tool_calls"]
    assert (handoff["name"], handoff["arguments"]) == ("transfer_to_refund_agent", "{}")
    assert rec["usage"] == {"input_tokens": 468, "output_tokens": 52}
    assert rec["workload"] == "Triage agent"


def test_the_agent_handed_to_makes_parallel_calls_then_answers():
    third, fourth = records(parse(fixture()[0]))[2:]
    assert third["workload"] == fourth["workload"] == "Refund agent"
    assert third["messages"][0]["content"].startswith("You are the refund agent")
    handed = third["messages"][-1]
    assert (handed["role"], handed["name"]) == ("tool", "transfer_to_refund_agent")
    assert json.loads(handed["content"]) == {"assistant": "Refund agent"}
    calls = third["response"]["tool_calls"]
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in calls] == [
        ("call_Pz6yB1nKq3SdG9hJw4aTe7Uo", "get_payment", {"order_id": "A-1042"}),
        ("call_Rt5cM8xWv2LbQ6fNj3kYs9Ei", "get_refund_policy", {"topic": "late_delivery"}),
    ]
    results = [m for m in fourth["messages"] if m["role"] == "tool"][-2:]
    assert [(m["tool_call_id"], m["name"]) for m in results] == [
        ("call_Pz6yB1nKq3SdG9hJw4aTe7Uo", "get_payment"),
        ("call_Rt5cM8xWv2LbQ6fNj3kYs9Ei", "get_refund_policy"),
    ]
    assert json.loads(results[0]["content"])["shipping_fee"] == "7.95"
    assert fourth["response"]["content"].startswith("Your order qualifies")
    assert fourth["response"]["tool_calls"] == []
    assert fourth["usage"] == {"input_tokens": 702, "output_tokens": 41}


def test_an_image_part_is_kept_as_its_kind_only():
    (rec,) = parse(fixture()[2], line=3)
    user = rec["messages"][1]
    assert user["content"] == (
        "The tent pole from order B-2207 arrived snapped in two, see the photo."
    )
    assert user["media"] == ["image"]
    assert rec["has_media"] is True
    assert "base64" not in json.dumps(rec) and "data:image" not in json.dumps(rec)
    (call,) = rec["response"]["tool_calls"]
    assert call["name"] == "open_damage_claim"
    assert json.loads(call["arguments"]) == {
        "order_id": "B-2207",
        "item": "tent pole",
        "photo_attached": True,
    }
    assert rec["model"] == "gpt-4o"
    assert rec["workload"] is None  # a lone span line: the agent is known only to collect


def test_single_span_lines_get_their_agent_from_the_side_index():
    objects = fixture()
    side = side_of(objects)
    (first,) = parse(objects[2], line=3, side=side)
    (second,) = parse(objects[4], line=5, side=side)
    assert first["workload"] == second["workload"] == "Returns agent"
    assert second["messages"][3]["name"] == "open_damage_claim"
    assert second["response"]["content"].startswith("I'm sorry about the broken pole")


def test_a_streamed_generation_holds_the_assembled_responses_object():
    objects = fixture()
    (rec,) = parse(objects[7], line=8, side=side_of(objects))
    assert [m["role"] for m in rec["messages"]] == ["system", "user"]
    assert rec["response"]["content"].startswith("Yes, we ship to Canada with UPS Standard")
    assert rec["response"]["tool_calls"] == []
    assert rec["model"] == "gpt-4.1-mini"
    assert rec["usage"] == {"input_tokens": 96, "output_tokens": 31}
    assert rec["workload"] == "FAQ agent"


def test_a_streamed_answer_keeps_function_calls_and_drops_reasoning():
    streamed = {
        "object": "response",
        "model": "gpt-4.1-mini",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "x"}]},
            {"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "Checking.", "annotations": []}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_order",
             "arguments": '{"order_id": "A-1"}', "id": "__fake_id__"},
        ],
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }  # fmt: skip
    (rec,) = parse(generation([streamed], model=None, usage=None))
    assert rec["response"]["content"] == "Checking."
    assert [(c["id"], c["name"]) for c in rec["response"]["tool_calls"]] == [
        ("call_1", "get_order")
    ]
    assert rec["model"] == "gpt-4.1-mini"  # the span's model is missing: the response's
    assert rec["usage"] == {"input_tokens": 10, "output_tokens": 5}


def test_failed_and_dataless_generations_response_spans_and_traces_are_counted():
    objects = fixture()
    assert parse(objects[1]) == [Ignored("not an LLM call")]  # a trace
    assert parse(objects[8]) == [Ignored("failed call")]
    assert parse(objects[9]) == [
        Ignored("generation span without its data (traced with sensitive data off)")
    ]
    assert parse(objects[11]) == [Ignored("response span: content only in a Responses log")]
    assert parse(span("transcription", input={"data": "", "format": "pcm"})) == [
        Ignored("transcription or speech span")
    ]
    assert parse(span("some_future_type")) == [Ignored("span of an unknown type")]


def test_a_refusal_is_the_answer_text():
    output = [{"role": "assistant", "content": None, "refusal": "I can't help with that."}]
    (rec,) = parse(generation(output))
    assert rec["response"]["content"] == "I can't help with that."


def test_the_side_index_maps_generation_spans_and_response_ids_to_agent_names():
    table = side_of(fixture())[SIDE_NAME]
    assert table["resp_67d1a2b3c4d5e6f708192a3b4c5d6e7f"] == "Billing agent"
    assert table["span:span_1c2d3e4f5a6b7c8d9e0f1a2b"] == "Triage agent"
    assert table["span:span_9d0e1f2a3b4c5d6e7f8a9b0c"] == "Refund agent"
    assert set(table.values()) == {
        "Triage agent", "Refund agent", "Returns agent", "FAQ agent", "Billing agent"
    }  # fmt: skip
    assert "span:span_3d4e5f6a7b8c9d0e1f2a3b4c" not in table  # a function span: not needed
    assert finish(dict(table)) == table  # running it again changes nothing


def test_the_nearest_agent_wins_and_cycles_or_gaps_give_no_name():
    def item(span_id, parent, span_type, **data):
        obj = span(span_type, **data)
        obj["id"], obj["parent_id"] = span_id, parent
        return obj

    objects = [
        item("span_outer", None, "agent", name="Planner"),
        item("span_turn", "span_outer", "custom", name="turn", data={"agent_name": "Writer"}),
        item("span_gen1", "span_turn", "generation"),
        item("span_gen2", "span_outer", "generation"),
        item("span_loop_a", "span_loop_b", "custom", name="step", data={}),
        item("span_loop_b", "span_loop_a", "custom", name="step", data={}),
        item("span_gen3", "span_loop_a", "generation"),
        item("span_gen4", "span_not_exported", "generation"),
        item("span_resp", "span_outer", "response", response_id="resp_1"),
    ]
    table = side_of(objects)[SIDE_NAME]
    assert table == {
        "span:span_gen1": "Writer",
        "span:span_gen2": "Planner",
        "resp_1": "Planner",
    }


def test_a_bad_item_of_a_batch_is_reported_and_the_rest_kept():
    batch = copy.deepcopy(fixture()[0])
    batch["data"][3]["span_data"]["input"][1]["role"] = None
    batch["data"][6]["span_data"]["output"] = {"role": "assistant"}
    out = parse(batch)
    bad = [item for item in out if isinstance(item, BadRecord)]
    assert [(b.field, b.reason) for b in bad] == [
        ("data[3].span_data.input[1].role", "missing or not a string"),
        ("data[6].span_data.output", "missing or not a list"),
    ]
    assert len(records(out)) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o["span_data"].pop("type"), "span_data.type"),
        (lambda o: o.pop("span_data"), "span_data"),
        (lambda o: o.update(object="trace.event"), "object"),
        (lambda o: o["span_data"].update(output=[]), "span_data.output"),
        (lambda o: o["span_data"].update(input="Where is A-1?"), "span_data.input"),
        (
            lambda o: o["span_data"]["output"][0].update(role="user"),
            "span_data.output[0].role",
        ),
        (
            lambda o: o["span_data"]["input"][0].update(
                content=[{"type": "secret-payload", "data": "x"}]
            ),
            "span_data.input[0].content[0].type",
        ),
    ],
)
def test_a_malformed_span_names_its_path_not_its_content(change, field):
    obj = generation()
    change(obj)
    with pytest.raises(BadRecord) as exc:
        parse(obj)
    assert exc.value.field == field
    assert "secret-payload" not in str(exc.value) and "Where is A-1" not in str(exc.value)


def test_an_unsupported_streamed_output_item_names_its_path():
    streamed = {"object": "response", "output": [{"type": "secret-item"}]}
    with pytest.raises(BadRecord) as exc:
        parse(generation([streamed]))
    assert exc.value.field == "span_data.output[0].output[0].type"
    assert "secret-item" not in exc.value.reason


def test_collect_reads_the_trace_file_with_agent_names(tmp_path):
    result = collect.run([str(FIXTURE)], tmp_path / "out")
    counts = result.counts
    assert counts["records"] == 7
    assert counts["bad"] == 0
    assert counts["by_format"] == {"openai-agents": 7}
    assert counts["ignored_by_reason"] == {
        "not an LLM call": 13,
        "failed call": 1,
        "generation span without its data (traced with sensitive data off)": 1,
        "response span: content only in a Responses log": 1,
    }
    assert counts["with_media"] == 2 and counts["media_by_kind"] == {"image": 2}
    assert counts["input_tokens"] == 412 + 468 + 561 + 702 + 1189 + 1240 + 96
    table = pq.read_table(tmp_path / "out" / "data")
    assert table["workload"].to_pylist() == [
        "Triage agent",
        "Triage agent",
        "Refund agent",
        "Refund agent",
        "Returns agent",
        "Returns agent",
        "FAQ agent",
    ]
    assert [s["line"] for s in table["source"].to_pylist()] == [1, 1, 1, 1, 3, 5, 8]


def test_a_responses_log_beside_the_trace_gets_the_agent_names(tmp_path):
    responses = pytest.importorskip("slmconvert.formats.openai_responses")
    if not hasattr(responses, "PARSER"):
        pytest.skip("the openai-responses parser is not registered yet")
    traces, calls = JOIN / "traces.jsonl", JOIN / "responses.jsonl"

    result = collect.run([str(traces), str(calls)], tmp_path / "out")

    counts = result.counts
    assert counts["bad"] == 0
    assert counts["by_format"] == {"openai-responses": 4}  # the trace holds no content
    assert counts["ignored_by_reason"]["response span: content only in a Responses log"] == 3
    formats = {Path(i["path"]).name: i["format"] for i in result.manifest["inputs"]}
    assert formats == {"traces.jsonl": "openai-agents", "responses.jsonl": "openai-responses"}
    table = pq.read_table(tmp_path / "out" / "data")
    assert [s["line"] for s in table["source"].to_pylist()] == [1, 2, 3, 4]
    # the Billing agent's span is exported on a later line than its response span
    assert table["workload"].to_pylist() == ["Triage agent", "Triage agent", "Billing agent", None]
    handed = table["messages"].to_pylist()[2][-1]
    assert (handed["role"], handed["name"]) == ("tool", "transfer_to_billing_agent")
