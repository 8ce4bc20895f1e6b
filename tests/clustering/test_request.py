"""A call's request-time view: what the router sees, the same from a live request or a log."""

from __future__ import annotations

import pytest

from slmconvert.clustering.request import normalise, of_record, of_request
from slmconvert.core.records import message, new_record, tool_call


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call me at (221) 381-4788 please", "Call me at # please"),
        ("or +1 265-838-5308, or 264.815.1382", "or #, or #"),
        ("write to ann.lee@example.org today", "write to # today"),
        ("order ORD-12345 placed 2025-05-01 at 10:30", "order ORD-# placed # at #"),
        ("Hi <PERSON_1>, your email <EMAIL_ADDRESS_2> is on file", "Hi #, your email # is on file"),
        ("see https://shop.example.com/o/991?x=1 now", "see # now"),
        ("id 3f2b8c1e-9a4d-4c2b-8f1e-2b3c4d5e6f70 ok", "id # ok"),
        ("no   volatile\n\ttext", "no volatile text"),
        ("", ""),
    ],
)
def test_volatile_values_read_alike(text, expected):
    assert normalise(text) == expected


def test_a_value_and_its_pii_placeholder_give_one_text():
    raw = "I'm at ann@example.org or (415) 555-0134, order 1188"
    scrubbed = "I'm at <EMAIL_ADDRESS_1> or <PHONE_NUMBER_1>, order 1188"

    assert normalise(raw) == normalise(scrubbed)


def test_text_is_cut_to_the_setting():
    assert len(normalise("word " * 500, max_chars=40)) == 40


TOOLS = [
    {"type": "function", "function": {"name": "track", "description": "Track a parcel."}},
    {"type": "function", "function": {"name": "refund", "description": "Refund an order 12."}},
]


def test_a_live_request_and_its_logged_record_have_one_view():
    request = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are the parcel desk. Today is 2025-05-01."},
            {"role": "user", "content": [{"type": "text", "text": "Where is parcel 8812?"}]},
        ],
        "tools": TOOLS,
        "metadata": {"workload": "parcels"},
    }
    record = new_record(
        source={"format": "openai", "file": "a.jsonl", "line": 1},
        messages=[
            message("system", "You are the parcel desk. Today is 2025-06-30."),
            message("user", "Where is parcel 4410?"),
        ],
        tools=[
            {"name": t["function"]["name"], "description": t["function"]["description"]}
            for t in TOOLS
        ],
        response=message("assistant", None, [tool_call("track", {"id": "4410"})]),
        workload="parcels",
    )

    live, logged = of_request(request), of_record(record)

    assert live == logged
    assert live.tool_names == ("refund", "track")
    assert live.system == "You are the parcel desk. Today is #."
    assert live.workload == "parcels"


def test_the_workload_header_wins_over_metadata_and_the_answer_is_never_read():
    request = {"messages": [{"role": "user", "content": "hi"}], "metadata": {"workload": "a"}}

    assert of_request(request, {"X-Slmconvert-Workload": "b"}).workload == "b"
    assert of_request(request).workload == "a"
    assert of_request({"messages": []}).workload is None
    answered = request | {"response": {"content": "secret answer"}}
    assert "secret" not in repr(of_request(answered))


def test_a_call_without_any_text_still_has_a_view():
    view = of_request({"messages": [], "tools": TOOLS})

    assert view.system == "" and view.user == ""
    assert view.tool_names == ("refund", "track")


def test_an_image_turn_reads_alike_live_and_logged_and_apart_from_the_text_alone():
    from slmconvert.core.records import to_table
    from slmconvert.formats import get
    from slmconvert.formats.registry import ParseContext

    parts = [
        {"type": "text", "text": "What is wrong with this part?"},
        {"type": "image_url", "image_url": {"url": "https://cdn.example.com/p/81.jpg"}},
    ]
    request = {"model": "gpt-4o", "messages": [{"role": "user", "content": parts}]}
    logged = {"request": request, "response": {"choices": [{"message": {"content": "Rust."}}]}}
    (record,) = get("openai").parse(logged, ParseContext("openai", "a.jsonl", 1))
    read_back = to_table([record]).to_pylist()[0]  # as a later stage reads it from Parquet

    live = of_request(request)
    assert live == of_record(record) == of_record(read_back)
    assert live.user == "<image> What is wrong with this part?"
    text_only = {"model": "gpt-4o", "messages": [{"role": "user", "content": parts[:1]}]}
    assert of_request(text_only).user == "What is wrong with this part?"
