"""`openai`: Chat Completions request/response pairs, incl. NVIDIA Data Flywheel records.

Layouts accepted (sniffed, not assumed):
- ``{"request": {model, messages, tools}, "response": <chat.completion>}`` — Data Flywheel adds
  ``workload_id``, ``client_id`` and ``timestamp`` (epoch seconds) at top level, and sometimes
  logs ``arguments`` as an object;
- ``{"input": <request>, "output": <chat.completion>}``;
- request fields at top level with ``response`` or ``completion`` beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import new_record
from slmconvert.formats.common import openai_completion, openai_messages, openai_tools
from slmconvert.formats.registry import ParseContext, Parser, register

PAIRS = (("request", "response"), ("input", "output"))


def _split(obj: dict) -> tuple[str, dict, str, Any] | None:
    for req_key, resp_key in PAIRS:
        if isinstance(obj.get(req_key), dict) and resp_key in obj:
            return req_key, obj[req_key], resp_key, obj[resp_key]
    if isinstance(obj.get("messages"), list):
        for resp_key in ("response", "completion"):
            if resp_key in obj:
                return "", obj, resp_key, obj[resp_key]
    return None


def sniff(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    parts = _split(obj)
    if parts is None:
        return False
    _, request, _, response = parts
    return isinstance(request.get("messages"), list) and (
        response is None or (isinstance(response, dict) and "choices" in response)
    )


def parse(obj: dict, ctx: ParseContext) -> Iterator[dict]:
    parts = _split(obj) if isinstance(obj, dict) else None
    if parts is None:
        raise BadRecord("request", "missing request/response pair")
    req_key, request, resp_key, response = parts
    prefix = f"{req_key}." if req_key else ""
    if response is None:
        raise BadRecord(resp_key, "missing")
    done = openai_completion(response, resp_key)
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    yield new_record(
        source=ctx.source,
        messages=openai_messages(request.get("messages"), f"{prefix}messages"),
        tools=openai_tools(request.get("tools", request.get("functions")), f"{prefix}tools"),
        response=done["response"],
        model=done["model"] or request.get("model"),
        workload=obj.get("workload_id", obj.get("workload")),
        timestamp=obj.get("timestamp", response.get("created")),
        input_tokens=done["input_tokens"],
        output_tokens=done["output_tokens"],
        latency_ms=obj.get("latency_ms"),
        cost_usd=obj.get("cost_usd", usage.get("cost")),
    )


PARSER = register(
    Parser(
        name="openai",
        description="OpenAI Chat Completions request/response pairs (incl. NVIDIA Data Flywheel)",
        sniff=sniff,
        parse=parse,
    )
)
