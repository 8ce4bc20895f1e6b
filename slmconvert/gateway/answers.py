"""What the gateway checks of a request and of a small model's answer, before any byte is sent.

- `ineligible`: why a request must go to the LLM whatever the rollout says (the SLM was not
  trained for it), or None.
- `validate`: why an SLM answer must not be served (unparsable, an unknown tool, arguments that
  fail the tool's schema), or None.
- `agree`: whether the SLM's answer does what the LLM's did, with eval's metrics.

Reasons come from fixed lists and never quote the request or the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from slmconvert.core.errors import BadRecord
from slmconvert.evaluation.answers import Answer, Call, invalid_answer, make_call, text_answer
from slmconvert.evaluation.matching import call_match, names_match, schema_valid
from slmconvert.formats.common import openai_tools

TEXT_PARTS = {"text", "input_text"}


def tools_of(request: Mapping[str, Any]) -> list[dict]:
    """The request's tools as canonical tools (``collect``'s parser); none when they do not
    parse, so the SLM is then offered no tool it could call."""
    try:
        return list(openai_tools(request.get("tools"), "tools"))
    except BadRecord:
        return []


def _has_media(messages: Any) -> bool:
    for msg in messages or []:
        content = msg.get("content") if isinstance(msg, Mapping) else None
        if isinstance(content, list) and any(
            isinstance(p, Mapping) and p.get("type") not in TEXT_PARTS for p in content
        ):
            return True
    return False


def ineligible(request: Mapping[str, Any], seen_tools: set[str]) -> str | None:
    """Why the cluster's SLM cannot serve ``request`` (a reason from a fixed list), or None."""
    if (request.get("n") or 1) > 1:
        return "n_above_1"
    if request.get("response_format") not in (None, {"type": "text"}):
        return "response_format"
    if request.get("tool_choice") not in (None, "auto", "none"):
        return "forced_tool_choice"
    if _has_media(request.get("messages")):
        return "media"
    if any(t["name"] not in seen_tools for t in tools_of(request)):
        return "unseen_tool"
    return None


def from_message(message: Mapping[str, Any], text_format: str | None = None) -> Answer:
    """An OpenAI response message as an Answer (invalid when a call does not decode).

    With ``text_format`` (an eval parser name), calls the server left in the text (vLLM has
    no parser for Phi-4-mini's ``<|tool_call|>``) are read from it."""
    if text_format and not message.get("tool_calls") and isinstance(message.get("content"), str):
        from slmconvert.evaluation.toolcalls import parse

        return parse(message["content"], text_format)
    calls = []
    for raw in message.get("tool_calls") or []:
        fn = raw.get("function") if isinstance(raw, Mapping) else None
        if not isinstance(fn, Mapping):
            return invalid_answer("tool call without a function")
        call = make_call({"name": fn.get("name"), "arguments": fn.get("arguments") or "{}"})
        if isinstance(call, str):
            return invalid_answer(call)
        calls.append(call)
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    return Answer("tool_calls", calls=tuple(calls), text=text) if calls else text_answer(text)


def to_message(answer: Answer, ids: list[str]) -> dict:
    """An Answer as an OpenAI assistant message (tool-call ids from ``ids``)."""
    if answer.kind == "tool_calls":
        calls = [
            {"id": i, "type": "function",
             "function": {"name": c.name, "arguments": orjson.dumps(c.arguments).decode()}}
            for i, c in zip(ids, answer.calls, strict=False)
        ]  # fmt: skip
        return {"role": "assistant", "content": answer.text or None, "tool_calls": calls}
    return {"role": "assistant", "content": answer.text}


def validate(answer: Answer, tools: list[dict], seen_tools: set[str]) -> str | None:
    """Why ``answer`` must not be served (a reason from a fixed list), or None."""
    if not answer.valid:
        return "unparsable"
    if answer.kind != "tool_calls":
        return None
    offered = {t["name"] for t in tools}
    if any(c.name not in offered or c.name not in seen_tools for c in answer.calls):
        return "unknown_tool"
    if not schema_valid(list(answer.calls), tools):
        return "schema_violation"
    return None


def agree(slm: Answer, llm: Answer, tools: list[dict], similarity, threshold: float,
          metric: str = "tool_call_match") -> bool:  # fmt: skip
    """Does the SLM's answer do what the LLM's did, by the rollout's gate ``metric``?

    The live gate measures what the offline gate measured: ``valid_output`` (the SLM's answer
    parses), ``function_name_accuracy`` (the same tools called), else eval's full match
    (``tool_call_match`` for calls, ``text_similarity_match`` for text).
    """
    if metric == "valid_output":
        return slm.valid
    if not slm.valid or slm.kind != llm.kind:
        return False
    if llm.kind == "tool_calls":
        if metric == "function_name_accuracy":
            return names_match(list(slm.calls), list(llm.calls))
        return call_match(list(slm.calls), list(llm.calls), tools, similarity, threshold)
    if not llm.text or not slm.text:
        return llm.text == slm.text
    return similarity(slm.text, llm.text) >= threshold


__all__ = ["Answer", "Call", "agree", "from_message", "ineligible", "to_message", "validate"]
