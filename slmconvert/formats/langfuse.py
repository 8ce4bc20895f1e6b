"""`langfuse`: Langfuse observations export (JSON array elements or JSONL lines).

An observation is ``{"id","traceId","parentObservationId","type","startTime","endTime",
"completionStartTime","model","modelParameters","input","output","usageDetails","costDetails",
"level","metadata"}``. Only ``type == "GENERATION"`` observations are LLM calls: SPAN, EVENT,
TOOL... yield ``Ignored("not an LLM call")``; ``level == "ERROR"`` yields
``Ignored("failed call")``.

``input`` is a message list or ``{"messages": [...], "tools": [...], "system"?}`` (or a bare
prompt string); ``output`` is an assistant message (OpenAI, Anthropic or LangChain shape), a
``chat.completion``, a list of Anthropic content blocks, or a plain string. Token counts come from
``usageDetails`` (``input``/``output``), older ``usage`` or ``promptTokens``/``completionTokens``;
cost from ``costDetails.total`` (or the sum of its parts), else ``calculatedTotalCost``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import message, new_record
from slmconvert.formats.chat import chat_messages, elapsed_ms, obj_at, response_of
from slmconvert.formats.common import anthropic_blocks, anthropic_system, openai_tools
from slmconvert.formats.registry import Ignored, ParseContext, Parser, register

OBSERVATION_TYPES = {
    "GENERATION",
    "SPAN",
    "EVENT",
    "AGENT",
    "TOOL",
    "CHAIN",
    "RETRIEVER",
    "EVALUATOR",
    "EMBEDDING",
    "GUARDRAIL",
}


def _prompt(raw: Any) -> tuple[list[dict], list[dict]]:
    """``(messages, tools)`` from an observation's ``input``."""
    if isinstance(raw, str):
        return [message("user", raw)], []
    if isinstance(raw, list):
        return chat_messages(raw, "input"), []
    if isinstance(raw, dict) and "messages" in raw:
        system = anthropic_system(raw.get("system"), "input.system")
        key = "tools" if "tools" in raw else "functions"
        tools = openai_tools(raw.get(key), f"input.{key}")
        return system + chat_messages(raw["messages"], "input.messages"), tools
    raise BadRecord("input", "missing or not a message list")


def _response(raw: Any) -> dict:
    """``{response, model, input_tokens, output_tokens}`` from an observation's ``output``."""
    if isinstance(raw, str):
        return {"response": message("assistant", raw), "model": None}
    if isinstance(raw, list):
        if not raw:
            raise BadRecord("output", "empty")
        if all(isinstance(item, dict) and "role" in item for item in raw):
            return {"response": chat_messages(raw, "output")[-1], "model": None}
        return {"response": anthropic_blocks("assistant", raw, "output", {})[-1], "model": None}
    if raw is None:
        raise BadRecord("output", "missing")
    return response_of(raw, "output")


def _tokens(obj: dict) -> tuple[Any, Any]:
    """``(input_tokens, output_tokens)`` from usageDetails, usage or promptTokens fields."""
    for key in ("usageDetails", "usage"):
        usage = obj_at(obj, key)
        tokens_in = usage.get("input", usage.get("promptTokens", usage.get("prompt_tokens")))
        tokens_out = usage.get(
            "output", usage.get("completionTokens", usage.get("completion_tokens"))
        )
        if tokens_in is not None or tokens_out is not None:
            return tokens_in, tokens_out
    return obj.get("promptTokens"), obj.get("completionTokens")


def _cost(obj: dict) -> Any:
    """Total cost in USD: costDetails.total (or its parts summed), else calculatedTotalCost."""
    details = obj_at(obj, "costDetails")
    if details.get("total") is not None:
        return details["total"]
    parts = [v for v in details.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    if parts:
        return sum(parts)
    if obj.get("calculatedTotalCost") is not None:
        return obj["calculatedTotalCost"]
    return obj_at(obj, "usage").get("totalCost")


def sniff(obj: Any) -> bool:
    """A Langfuse observation: ``traceId`` plus an upper-case observation ``type``."""
    return (
        isinstance(obj, dict)
        and "traceId" in obj
        and obj.get("type") in OBSERVATION_TYPES
        and ("startTime" in obj or "input" in obj)
    )


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per GENERATION observation; other types and ERROR level yield ``Ignored``."""
    if not isinstance(obj, dict):
        raise BadRecord("observation", "not an object")
    if obj.get("type") != "GENERATION":
        yield Ignored("not an LLM call")
        return
    if obj.get("level") == "ERROR":
        yield Ignored("failed call")
        return
    messages, tools = _prompt(obj.get("input"))
    done = _response(obj.get("output"))
    tokens_in, tokens_out = _tokens(obj)
    yield new_record(
        source=ctx.source,
        messages=messages,
        tools=tools,
        response=done["response"],
        model=obj.get("model") or done.get("model"),
        timestamp=obj.get("startTime"),
        input_tokens=done.get("input_tokens") if tokens_in is None else tokens_in,
        output_tokens=done.get("output_tokens") if tokens_out is None else tokens_out,
        latency_ms=elapsed_ms(obj.get("startTime"), obj.get("endTime")),
        cost_usd=_cost(obj),
    )


PARSER = register(
    Parser(
        name="langfuse",
        description="Langfuse observations export (GENERATION observations)",
        sniff=sniff,
        parse=parse,
    )
)
