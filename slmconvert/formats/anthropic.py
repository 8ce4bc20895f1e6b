"""`anthropic`: Anthropic Messages API request/response pairs.

Layouts accepted (sniffed, not assumed):
- ``{"request": {model, system?, messages, tools?}, "response": <message>}``;
- ``{"input": <request>, "output": <message>}``;
- request fields at top level with ``response`` beside them.

The response is ``{"id", "type": "message", "content": [text | tool_use blocks], "stop_reason",
"usage": {"input_tokens", "output_tokens", "cache_creation_input_tokens"?,
"cache_read_input_tokens"?}}``. Tool results arrive in user turns as ``tool_result`` blocks.
Input tokens count cached prompt tokens too (Anthropic reports them apart).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import new_record
from slmconvert.formats.common import (
    anthropic_blocks,
    anthropic_messages,
    anthropic_system,
    anthropic_tools,
)
from slmconvert.formats.registry import Ignored, ParseContext, Parser, register

PAIRS = (("request", "response"), ("input", "output"))
STREAM_EVENTS = {"message_start", "content_block_start", "content_block_delta", "message_delta"}
CACHE_KEYS = ("cache_creation_input_tokens", "cache_read_input_tokens")


def _split(obj: dict) -> tuple[str, dict, str, Any] | None:
    for req_key, resp_key in PAIRS:
        if isinstance(obj.get(req_key), dict) and resp_key in obj:
            return req_key, obj[req_key], resp_key, obj[resp_key]
    if isinstance(obj.get("messages"), list) and "response" in obj and "call_type" not in obj:
        return "", obj, "response", obj["response"]
    return None


def _anthropic_request(request: dict) -> bool:
    tools = request.get("tools")
    return "system" in request or (
        isinstance(tools, list) and any(isinstance(t, dict) and "input_schema" in t for t in tools)
    )


def _anthropic_response(response: Any) -> bool:
    if not isinstance(response, dict) or "choices" in response:
        return False
    return response.get("type") in ("message", "error") or isinstance(response.get("content"), list)


def sniff(obj: Any) -> bool:
    """A request/response pair whose response is an Anthropic message (``type: message``,
    ``content`` list, no ``choices``), or, with no response, an Anthropic-shaped request."""
    if not isinstance(obj, dict):
        return False
    parts = _split(obj)
    if parts is None or not isinstance(parts[1].get("messages"), list):
        return False
    _, request, _, response = parts
    if response is None:
        return _anthropic_request(request)
    return _anthropic_response(response)


def input_tokens(usage: Any) -> int | None:
    """Prompt tokens: ``input_tokens`` plus cache-creation and cache-read tokens when present."""
    if not isinstance(usage, dict):
        return None
    base = usage.get("input_tokens")
    if not isinstance(base, int) or isinstance(base, bool):
        return None
    extra = [usage.get(key) for key in CACHE_KEYS]
    return base + sum(n for n in extra if isinstance(n, int) and not isinstance(n, bool))


def response_turns(response: dict, field: str, names: dict[str, str]) -> tuple[list[dict], dict]:
    """``(before, answer)`` from an Anthropic response message: ``answer`` is its last
    assistant message; ``before`` holds what the provider ran on the way (server tool calls and
    their results), which the record keeps as the end of the prompt."""
    if response.get("type") in STREAM_EVENTS:
        raise BadRecord(f"{field}.type", "streaming event; log the assembled message")
    if "content" not in response or not isinstance(response["content"], list | str):
        raise BadRecord(f"{field}.content", "missing or not a list of blocks")
    out = anthropic_blocks("assistant", response["content"], f"{field}.content", names)
    provider_ids = {c["id"] for m in out for c in m["tool_calls"] if c.get("provider")}
    if any(m["role"] == "tool" and m["tool_call_id"] not in provider_ids for m in out):
        raise BadRecord(f"{field}.content", "tool_result block in an assistant message")
    last = max(i for i, m in enumerate(out) if m["role"] == "assistant")
    return out[:last], out[last]


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per request/response pair; an error response is ``Ignored``."""
    parts = _split(obj) if isinstance(obj, dict) else None
    if parts is None:
        raise BadRecord("request", "missing request/response pair")
    req_key, request, resp_key, response = parts
    prefix = f"{req_key}." if req_key else ""
    if response is None:
        raise BadRecord(resp_key, "missing")
    if isinstance(response, list):
        raise BadRecord(resp_key, "streaming events; log the assembled message")
    if not isinstance(response, dict):
        raise BadRecord(resp_key, "not an object")
    if response.get("type") == "error":
        yield Ignored("failed call")
        return
    names: dict[str, str] = {}
    messages = anthropic_system(request.get("system"), f"{prefix}system")
    messages += anthropic_messages(request.get("messages"), f"{prefix}messages", names)
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    if response.get("stop_reason") == "pause_turn":
        yield Ignored("paused turn (the provider's tool loop did not finish)")
        return
    before, answer = response_turns(response, resp_key, names)
    yield new_record(
        source=ctx.source,
        messages=messages + before,
        tools=anthropic_tools(request.get("tools"), f"{prefix}tools"),
        response=answer,
        model=response.get("model") or request.get("model"),
        workload=obj.get("workload_id", obj.get("workload")),
        timestamp=obj.get("timestamp", obj.get("created_at")),
        input_tokens=input_tokens(usage),
        output_tokens=usage.get("output_tokens"),
        latency_ms=obj.get("latency_ms"),
        cost_usd=obj.get("cost_usd"),
    )


PARSER = register(
    Parser(
        name="anthropic",
        description="Anthropic Messages API request/response pairs",
        sniff=sniff,
        parse=parse,
    )
)
