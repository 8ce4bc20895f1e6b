"""Reading the SLM server's answer: OpenAI tool_calls, or calls it left in the text."""

from __future__ import annotations

from slmconvert.gateway.answers import from_message, to_message


def test_calls_a_server_left_in_the_text_are_read_in_the_adapters_format():
    phi = {"role": "assistant", "content": '<|tool_call|>[{"name": "get_time", '
           '"arguments": {"city": "Lyon"}}]'}  # fmt: skip

    answer = from_message(phi, "phi4")

    assert [(c.name, c.arguments) for c in answer.calls] == [("get_time", {"city": "Lyon"})]
    assert to_message(answer, ["call_0"])["tool_calls"][0]["function"]["name"] == "get_time"
    assert from_message(phi).kind == "text"  # without the format it is only text


def test_openai_tool_calls_win_over_the_text():
    message = {"role": "assistant", "content": "checking",
               "tool_calls": [{"id": "c", "type": "function",
                               "function": {"name": "get_time", "arguments": "{}"}}]}  # fmt: skip

    assert [c.name for c in from_message(message, "phi4").calls] == ["get_time"]
