"""`litellm`: LiteLLM StandardLoggingPayload JSONL (``kwargs["standard_logging_object"]``).

A payload is ``{"id","trace_id","call_type","status","model","model_group",
"custom_llm_provider","messages","response","model_parameters","prompt_tokens",
"completion_tokens","total_tokens","response_cost","startTime","endTime","metadata",
"cache_hit","end_user","error_str"}`` with ``startTime``/``endTime`` in epoch seconds.
``status`` other than ``"success"`` yields ``Ignored("failed call")``; embedding, image,
moderation, audio and rerank calls yield ``Ignored("not an LLM call")``. ``response`` is a
``chat.completion`` (or an Anthropic message for the ``/v1/messages`` route); ``response_cost``
is the ready cost in USD; tools sit in ``model_parameters.tools`` or at top level.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import message, new_record
from slmconvert.formats.chat import chat_messages, elapsed_ms, obj_at, response_of
from slmconvert.formats.common import anthropic_system, openai_tools
from slmconvert.formats.registry import Ignored, ParseContext, Parser, register

NOT_CHAT = ("embedding", "image", "moderation", "transcription", "speech", "rerank")


def _prompt(obj: dict) -> list[dict]:
    """Prompt messages from ``messages`` (a message list, or a prompt string)."""
    raw = obj.get("messages")
    if isinstance(raw, str):
        return [message("user", raw)]
    messages = chat_messages(raw, "messages")
    system = obj_at(obj, "model_parameters").get("system")
    if isinstance(system, str | list) and not any(m["role"] == "system" for m in messages):
        messages = anthropic_system(system, "model_parameters.system") + messages
    return messages


def _response(raw: Any) -> dict:
    """``{response, model, input_tokens, output_tokens}`` from the logged ``response``."""
    if raw is None:
        raise BadRecord("response", "missing")
    if isinstance(raw, str):
        return {"response": message("assistant", raw), "model": None}
    return response_of(raw, "response")


def _tools(obj: dict) -> list[dict]:
    """Tool definitions from ``model_parameters.tools`` (or ``functions``), else top level."""
    params = obj_at(obj, "model_parameters")
    for where, holder in (("model_parameters", params), ("", obj)):
        for key in ("tools", "functions"):
            if holder.get(key) is not None:
                return openai_tools(holder[key], f"{where}.{key}" if where else key)
    return []


def sniff(obj: Any) -> bool:
    """A StandardLoggingPayload: ``call_type`` beside ``response`` and ``status``/``response_cost``."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("call_type"), str)
        and "response" in obj
        and ("status" in obj or "response_cost" in obj)
    )


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per successful chat call; failures and non-chat calls yield ``Ignored``."""
    if not isinstance(obj, dict):
        raise BadRecord("payload", "not an object")
    if obj.get("status", "success") != "success":
        yield Ignored("failed call")
        return
    call_type = obj.get("call_type") or ""
    if any(word in call_type for word in NOT_CHAT):
        yield Ignored("not an LLM call")
        return
    done = _response(obj.get("response"))
    tokens_in, tokens_out = obj.get("prompt_tokens"), obj.get("completion_tokens")
    yield new_record(
        source=ctx.source,
        messages=_prompt(obj),
        tools=_tools(obj),
        response=done["response"],
        model=done.get("model") or obj.get("model"),
        timestamp=obj.get("startTime"),
        input_tokens=done.get("input_tokens") if tokens_in is None else tokens_in,
        output_tokens=done.get("output_tokens") if tokens_out is None else tokens_out,
        latency_ms=elapsed_ms(obj.get("startTime"), obj.get("endTime")),
        cost_usd=obj.get("response_cost"),
    )


PARSER = register(
    Parser(
        name="litellm",
        description="LiteLLM StandardLoggingPayload JSONL (chat completion calls)",
        sniff=sniff,
        parse=parse,
    )
)
