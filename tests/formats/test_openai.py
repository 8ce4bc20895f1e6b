"""`openai` format: Chat Completions request/response pairs, incl. NVIDIA Data Flywheel records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmconvert.core.errors import BadRecord
from slmconvert.formats import detect, get
from slmconvert.formats.registry import ParseContext

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "openai.jsonl"
FLYWHEEL, PAIR, INPUT_OUTPUT = (json.loads(line) for line in FIXTURE.read_text().splitlines())


def parse(obj):
    return list(get("openai").parse(obj, ParseContext("openai", "x.jsonl", 1)))


def test_a_flywheel_record_keeps_workload_timestamp_and_object_arguments():
    (rec,) = parse(FLYWHEEL)
    assert rec["workload"] == "primary_assistant"
    assert rec["model"] == "meta/llama-3.3-70b-instruct"
    assert rec["timestamp"] == "2025-05-01T22:26:57.000000Z"
    assert rec["response"]["content"] is None  # "" beside a tool call means no text
    (call,) = rec["response"]["tool_calls"]
    assert json.loads(call["arguments"]) == {
        "query": "Why the hold up with my return of ankle socks?",
        "user_id": "4165",
    }
    assert json.loads(rec["tools"][2]["parameters"])["required"] == ["query", "user_id"]


def test_a_pair_with_a_tool_result_turn_becomes_one_call():
    (rec,) = parse(PAIR)
    roles = [m["role"] for m in rec["messages"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assert rec["messages"][1]["content"] == "Where is order ORD-2025-004812?"
    earlier = rec["messages"][2]["tool_calls"][0]
    assert earlier == {
        "id": "call_1",
        "name": "get_order_status",
        "arguments": '{"order_id":"ORD-2025-004812"}',
    }
    assert rec["messages"][3]["tool_call_id"] == "call_1"
    assert rec["response"]["content"].startswith("Your order")
    assert rec["usage"] == {"input_tokens": 112, "output_tokens": 19}
    assert rec["latency_ms"] == 840.5
    assert rec["timestamp"] == "2025-05-02T15:33:20.000000Z"


def test_input_output_layout_is_sniffed_too():
    assert detect(INPUT_OUTPUT).name == "openai"
    (rec,) = parse(INPUT_OUTPUT)
    assert rec["response"]["content"] == "Hi!"
    assert rec["model"] == "gpt-4o-mini"


def test_invalid_argument_text_is_kept_verbatim_and_flagged():
    obj = json.loads(json.dumps(PAIR))
    obj["request"]["messages"][2]["tool_calls"][0]["function"]["arguments"] = '{"order_id": '
    (rec,) = parse(obj)
    assert rec["messages"][2]["tool_calls"][0]["arguments"] == '{"order_id": '
    assert rec["arguments_valid"] is False


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda o: o["response"].update(choices=[]), "response.choices"),
        (lambda o: o["request"]["messages"][1].update(role="robot"), "message.role"),
        (lambda o: o["request"]["messages"][1].pop("role"), "request.messages[1].role"),
        (lambda o: o["request"]["messages"][2].update(content=7), "request.messages[2].content"),
        (
            lambda o: o["request"]["messages"][1].update(tool_calls=""),
            "request.messages[1].tool_calls",
        ),
        (
            lambda o: o["request"]["messages"][2]["tool_calls"][0]["function"].pop("name"),
            "request.messages[2].tool_calls[0].function.name",
        ),
        (lambda o: o["response"].update(object="chat.completion.chunk"), "response.object"),
    ],
)
def test_malformed_pairs_name_the_field(mutate, field):
    obj = json.loads(json.dumps(PAIR))
    mutate(obj)
    with pytest.raises(BadRecord) as err:
        parse(obj)
    assert err.value.field == field
    assert "ORD-2025" not in str(err.value)


def test_the_id_hashes_the_canonical_json_of_prompt_tools_and_answer():
    import orjson
    import xxhash

    first, again = parse(FLYWHEEL)[0], parse(FLYWHEEL)[0]  # the second reuses memoised tools
    plain = [first["messages"], [dict(t) for t in first["tools"]], first["response"]]
    payload = orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)
    assert first["id"] == again["id"] == xxhash.xxh3_128_hexdigest(payload)


def test_an_unknown_content_part_kind_is_never_quoted():
    from slmconvert.core.errors import BadRecord
    from slmconvert.formats.common import text_of

    with pytest.raises(BadRecord) as exc:
        text_of([{"type": "555-0134 Jane Doe"}], "messages[0].content")
    assert "Jane" not in str(exc.value) and exc.value.field == "messages[0].content[0].type"
    with pytest.raises(BadRecord, match="'server_tool_use'"):
        text_of([{"type": "server_tool_use"}], "messages[0].content")


def test_an_image_part_is_kept_as_its_kind_only():
    url = "https://cdn.example.com/u/jane-doe/passport.png"
    request = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this photo?"},
                    {"type": "image_url", "image_url": {"url": url, "detail": "low"}},
                    {"type": "input_audio", "input_audio": {"data": "UklGRi...", "format": "wav"}},
                    {"type": "file", "file": {"filename": "jane.pdf", "file_data": "JVBER..."}},
                ],
            }
        ],
    }
    completion = {"choices": [{"message": {"role": "assistant", "content": "A beach."}}]}
    (rec,) = parse({"request": request, "response": completion})
    user = rec["messages"][0]
    assert user["content"] == "What is in this photo?"
    assert user["media"] == ["image", "audio", "file"]
    assert rec["has_media"] is True
    text = json.dumps(rec)
    assert "passport" not in text and "jane" not in text


def test_a_part_type_that_is_not_a_string_is_a_bad_record_not_a_crash():
    from slmconvert.core.errors import BadRecord
    from slmconvert.formats.common import content_of

    with pytest.raises(BadRecord) as exc:
        content_of([{"type": {"nested": "x"}}], "messages[0].content")
    assert exc.value.field == "messages[0].content[0].type"


def test_a_structured_outputs_refusal_is_the_answer():
    request = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Help me pick a lock"}]}
    answer = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    (rec,) = parse({"request": request, "response": {"choices": [{"message": answer}]}})
    assert rec["response"]["content"] == "I can't help with that."


def test_a_usage_that_is_not_an_object_is_read_as_unknown():
    request = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
    answer = {"choices": [{"message": {"role": "assistant", "content": "Hello"}}], "usage": [3]}
    (rec,) = parse({"request": request, "response": answer})
    assert rec["usage"] == {"input_tokens": None, "output_tokens": None}
