"""Reading tool calls out of what small models actually generate, one format at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from slmconvert import evaluation as ev
from slmconvert.core.errors import ConfigError
from slmconvert.core.records import message, tool_call
from slmconvert.evaluation import Answer, Call

CATALOG = Path(__file__).resolve().parents[2] / "slmconvert" / "catalog" / "models.yaml"


def test_hermes_qwen3_thinks_then_calls_and_ends_the_turn():
    output = (
        "<think>\nThe user wants the status of order ORD-2025-001234, "
        "so I call get_order_status.\n</think>\n\n"
        "<tool_call>\n"
        '{"name": "get_order_status", "arguments": {"order_id": "ORD-2025-001234"}}\n'
        "</tool_call><|im_end|>\n<|im_start|>user\nthanks"
    )
    answer = ev.parse(output, "hermes")
    assert answer == Answer(
        "tool_calls", calls=(Call("get_order_status", {"order_id": "ORD-2025-001234"}),)
    )


def test_hermes_two_parallel_calls_keep_their_order_and_the_leading_prose():
    output = (
        "Let me look both up.\n<tool_call>\n"
        '{"name": "get_order_status", "arguments": {"order_id": "ORD-1"}}\n</tool_call>\n'
        "<tool_call>\n"
        '{"name": "track_shipment", "arguments": {"tracking_number": "1Z999", "carrier": "UPS"}}'
        "\n</tool_call><|im_end|>"
    )
    answer = ev.parse(output, "hermes")
    assert answer.kind == "tool_calls"
    assert [c.name for c in answer.calls] == ["get_order_status", "track_shipment"]
    assert answer.calls[1].arguments == {"tracking_number": "1Z999", "carrier": "UPS"}
    assert answer.text == "Let me look both up."


def test_reasoning_opened_in_the_prompt_is_cut_at_its_closing_tag():
    output = "The user greets me.\n</think>\n\nHello! How can I help?<|im_end|>"
    assert ev.parse(output, "hermes") == Answer("text", text="Hello! How can I help?")


def test_hermes_plain_text_is_a_text_answer():
    answer = ev.parse("Your refund was issued on Monday.<|im_end|>", "hermes")
    assert answer == Answer("text", text="Your refund was issued on Monday.")


@pytest.mark.parametrize(
    ("output", "error"),
    [
        (
            '<tool_call>\n{"name": "get_order_status", "arguments": {"order_id": }\n</tool_call>',
            "parse",
        ),
        ('<tool_call>\n{"name": "get_order_status", "arguments": {"order_id": "ORD', "not closed"),
        ('<tool_call>\n{"arguments": {"order_id": "ORD-1"}}\n</tool_call>', "no name"),
        (
            '<tool_call>\n{"name": "get_order_status", "arguments": ["ORD-1"]}\n</tool_call>',
            "object",
        ),
        ("<tool_call>\nget_order_status(ORD-1)\n</tool_call>", "parse"),
    ],
)
def test_hermes_broken_markup_is_invalid_and_the_error_quotes_nothing(output, error):
    answer = ev.parse(output, "hermes")
    assert answer.kind == "invalid"
    assert error in answer.error
    assert "ORD" not in answer.error


def test_hermes_reads_back_what_the_tiny_models_chat_template_writes():
    from transformers.utils.chat_template_utils import render_jinja_template

    from slmconvert.training.tiny import CHAT_TEMPLATE

    response = message(
        "assistant",
        tool_calls=[
            tool_call(
                "update_shipping_address", {"order_id": "ORD-7", "address": {"city": "Bonn"}}
            ),
            tool_call("get_refund_status", {"order_id": "ORD-8"}),
        ],
    )
    (rendered,), _ = render_jinja_template(
        [[message("user", "move order 7, and where is my refund for 8?"), response]],
        chat_template=CHAT_TEMPLATE,
        bos_token="",
    )
    generated = rendered.rsplit("<|im_start|>assistant\n", 1)[1]
    assert ev.parse(generated, "hermes") == ev.reference_answer(response)


def test_llama3_python_tag_call_and_bare_json_calls():
    tagged = (
        '<|python_tag|>{"name": "get_refund_status", "parameters": {"order_id": "ORD-9"}}<|eom_id|>'
    )
    assert ev.parse(tagged, "llama3").calls == (Call("get_refund_status", {"order_id": "ORD-9"}),)

    two = (
        '{"name": "get_order_status", "parameters": {"order_id": "ORD-1"}}; '
        '{"name": "get_order_status", "parameters": {"order_id": "ORD-2; urgent"}}<|eot_id|>'
    )
    answer = ev.parse(two, "llama3")
    assert [c.arguments["order_id"] for c in answer.calls] == ["ORD-1", "ORD-2; urgent"]


def test_llama3_tells_a_json_answer_and_prose_from_a_broken_call():
    assert ev.parse('{"status": "shipped", "eta_days": 2}', "llama3").kind == "text"
    assert ev.parse("I can't find that order.<|eot_id|>", "llama3").kind == "text"
    broken = '{"name": "get_order_status", "parameters": {"order_id": "ORD-1"'
    assert ev.parse(broken, "llama3").kind == "invalid"
    assert ev.parse("<|python_tag|>get_order_status(ORD-1)", "llama3").kind == "invalid"


def test_mistral_list_and_named_forms():
    listed = (
        '[TOOL_CALLS] [{"name": "get_order_status", "arguments": {"order_id": "ORD-1"}, '
        '"id": "a1B2c3D4e"}, {"name": "get_refund_status", "arguments": {"order_id": "ORD-1"}}]</s>'
    )
    answer = ev.parse(listed, "mistral")
    assert [c.name for c in answer.calls] == ["get_order_status", "get_refund_status"]
    named = '[TOOL_CALLS]get_order_status[ARGS]{"order_id": "ORD-1"}</s>'
    assert ev.parse(named, "mistral").calls == (Call("get_order_status", {"order_id": "ORD-1"}),)
    assert ev.parse('[TOOL_CALLS] [{"name": "get_order_status", "argu', "mistral").kind == "invalid"
    assert ev.parse("Sure, it shipped yesterday.</s>", "mistral").kind == "text"


def test_phi4_and_nemotron_wrap_a_json_list():
    phi = '<|tool_call|>[{"name": "find_orders_by_email", "arguments": {"email": "a@b.example"}}]<|/tool_call|><|end|>'
    assert ev.parse(phi, "phi4").calls == (Call("find_orders_by_email", {"email": "a@b.example"}),)
    nemotron = (
        "<think>Need the orders.</think>\n<TOOLCALL>["
        '{"name": "get_customer_orders", "arguments": {"customer_id": "C-12", "limit": 3}}, '
        '{"name": "get_refund_status", "arguments": {"order_id": "ORD-4"}}]</TOOLCALL>'
    )
    assert [c.name for c in ev.parse(nemotron, "nemotron").calls] == [
        "get_customer_orders",
        "get_refund_status",
    ]
    assert ev.parse("<TOOLCALL>[{]</TOOLCALL>", "nemotron").kind == "invalid"


def test_phi4_calls_without_their_closing_tag_still_count_when_complete():
    unclosed = '<|tool_call|>[{"name": "get_time", "arguments": {"city": "Lyon"}}]<|end|>'
    assert ev.parse(unclosed, "phi4").calls == (Call("get_time", {"city": "Lyon"}),)
    cut = '<|tool_call|>[{"name": "get_time", "arguments": {"city": "Ly'
    assert ev.parse(cut, "phi4").kind == "invalid"  # a cut-off body is still invalid


def test_every_catalog_tool_format_maps_to_a_parser():
    models = yaml.safe_load(CATALOG.read_text())["models"]
    formats = {m["tool_format"] for m in models if m.get("tool_format")}
    assert formats
    for tool_format in formats:
        assert ev.parser_for(tool_format, default=None) in ev.PARSERS, tool_format


@pytest.mark.parametrize(
    ("tool_format", "parser"),
    [
        ("hermes <tool_call> JSON", "hermes"),
        ("xml_tools <tool_call> JSON", "hermes"),
        ("llama3 JSON function call", "llama3"),
        ("<TOOLCALL> JSON list", "nemotron"),
        ("[TOOL_CALLS] JSON list (9-character call ids)", "mistral"),
        ("<|tool|> JSON list in the system message", "phi4"),
        ("mistral", "mistral"),
        ("something new", "hermes"),
        (None, "hermes"),
    ],
)
def test_parser_for_catalog_descriptions(tool_format, parser):
    assert ev.parser_for(tool_format) == parser


def test_unknown_format_without_a_default_is_reported_as_none():
    assert ev.parser_for("something new", default=None) is None


def test_registry_names_the_known_formats_and_refuses_duplicates():
    with pytest.raises(ConfigError, match="hermes"):
        ev.get("qwen")
    with pytest.raises(ConfigError, match="already"):
        ev.register("hermes", ev.get("hermes"))


def test_reference_answer_from_logged_responses():
    calls = message("assistant", tool_calls=[tool_call("get_refund_status", {"order_id": "R-1"})])
    assert ev.reference_answer(calls).calls == (Call("get_refund_status", {"order_id": "R-1"}),)
    text = message("assistant", "  Happy to help!  ")
    assert ev.reference_answer(text) == Answer("text", text="Happy to help!")
    broken = message("assistant", tool_calls=[tool_call("get_refund_status", "{order_id: R-1")])
    assert ev.reference_answer(broken).kind == "invalid"
