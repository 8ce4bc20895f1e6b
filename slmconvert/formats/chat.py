"""Chat payloads of any common shape: OpenAI, Anthropic or LangChain messages and outputs.

Tracing tools (LangSmith, Langfuse, LiteLLM) log whatever the traced client sent, so their parsers
share these converters. ``field`` arguments are paths for error messages, never values.
"""

from __future__ import annotations

from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import media_kind, message, to_datetime, tool_call
from slmconvert.formats.common import (
    TEXT_PART_TYPES,
    anthropic_blocks,
    openai_completion,
    openai_message,
    openai_tool_calls,
    role_of,
    text_of,
)

LC_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
LC_ROLES |= {"function": "tool", "chat": None}
SKIPPED_PARTS = {"thinking", "redacted_thinking", "reasoning"}
ANTHROPIC_ONLY = {"tool_use", "tool_result"}


def obj_at(parent: dict, key: str) -> dict:
    """``parent[key]`` when it is an object, else an empty dict."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def elapsed_ms(start: Any, end: Any) -> float | None:
    """Milliseconds from ``start`` to ``end`` (ISO strings or epoch numbers); None if unknown."""
    a, b = to_datetime(start), to_datetime(end)
    if a is None or b is None:
        return None
    ms = (b - a).total_seconds() * 1000
    return ms if ms >= 0 else None


def _with_arguments(calls: Any) -> Any:
    """LangChain-shaped tool calls (``{"name","args","id"}``) given an ``arguments`` key."""
    if not isinstance(calls, list):
        return calls
    return [
        {**c, "arguments": c["args"]} if isinstance(c, dict) and "args" in c else c for c in calls
    ]


def _lc_content(content: Any, field: str) -> tuple[str | None, list[dict], list[str]]:
    """Text of a LangChain content value, tool calls held as content blocks, and media kinds."""
    if content is None or isinstance(content, str):
        return content, [], []
    if not isinstance(content, list):
        raise BadRecord(field, f"wrong type ({type(content).__name__})")
    texts, calls, media = [], [], []
    for i, part in enumerate(content):
        where = f"{field}[{i}]"
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            raise BadRecord(where, "not an object")
        kind = part.get("type", "text")
        if kind in TEXT_PART_TYPES:
            if not isinstance(part.get("text"), str):
                raise BadRecord(f"{where}.text", "missing or not a string")
            texts.append(part["text"])
        elif kind in ("tool_use", "tool_call"):
            calls.append(
                tool_call(part.get("name"), part.get("input", part.get("args")), part.get("id"))
            )
        elif media_kind(kind):
            media.append(media_kind(kind))
        elif kind not in SKIPPED_PARTS:
            raise BadRecord(f"{where}.type", "unsupported content part")
    return ("\n".join(texts) if texts else None), calls, media


def _lc_shape(raw: dict) -> tuple[str, dict] | None:
    """``(kind, data)`` of a LangChain message, or None when ``raw`` is not LangChain-shaped."""
    serialized = raw.get("lc") is not None and isinstance(raw.get("kwargs"), dict)
    if serialized:
        ids = raw.get("id")
        name = ids[-1] if isinstance(ids, list) and ids and isinstance(ids[-1], str) else ""
        data = raw["kwargs"]
    elif isinstance(raw.get("type"), str) and "role" not in raw:
        name = raw["type"]
        data = raw["data"] if isinstance(raw.get("data"), dict) else raw
    else:
        return None
    name = name.removesuffix("Chunk")
    name = name.removesuffix("Message").lower() if name.endswith("Message") else name
    if not serialized and data is raw and name not in LC_ROLES:
        return None
    return name, data


def _lc_message(kind: str, data: dict, field: str) -> dict:
    """Canonical message from a LangChain message's kind and fields."""
    if kind not in LC_ROLES:
        raise BadRecord(f"{field}.type", "unsupported message type")
    role = LC_ROLES[kind] or role_of(data.get("role"), field)
    text, block_calls, media = _lc_content(data.get("content"), f"{field}.content")
    extra = obj_at(data, "additional_kwargs")
    calls = openai_tool_calls(
        _with_arguments(data.get("tool_calls") or None), f"{field}.tool_calls"
    )
    if not calls:
        calls = openai_tool_calls(extra.get("tool_calls"), f"{field}.additional_kwargs.tool_calls")
    calls = calls or block_calls
    if role == "assistant" and text == "" and calls:
        text = None
    if role == "tool" and text is None:
        text = ""
    name = data.get("name") if isinstance(data.get("name"), str) else None
    return message(role, text, calls, tool_call_id=data.get("tool_call_id"), name=name, media=media)


def chat_message(raw: Any, field: str, names: dict[str, str] | None = None) -> list[dict]:
    """Canonical messages from one OpenAI-, Anthropic- or LangChain-shaped message.

    Usually one message; an Anthropic user turn holding ``tool_result`` blocks gives one ``tool``
    message per block. ``names`` maps Anthropic tool_use ids to tool names across turns.
    """
    if not isinstance(raw, dict):
        raise BadRecord(field, "not an object")
    shape = _lc_shape(raw)
    if shape is not None:
        return [_lc_message(shape[0], shape[1], field)]
    content = raw.get("content")
    if isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") in ANTHROPIC_ONLY for b in content
    ):
        return anthropic_blocks(
            raw.get("role"), content, f"{field}.content", {} if names is None else names
        )
    raw = dict(raw)
    extra = raw.get("additional_kwargs")
    if not raw.get("tool_calls") and isinstance(extra, dict) and extra.get("tool_calls"):
        raw["tool_calls"] = extra["tool_calls"]
    raw["tool_calls"] = _with_arguments(raw.get("tool_calls"))
    return [openai_message(raw, field)]


def chat_messages(raw: Any, field: str) -> list[dict]:
    """Canonical messages from a list of messages (or LangChain's one-prompt batch ``[[...]]``)."""
    if isinstance(raw, list) and raw and isinstance(raw[0], list):
        if len(raw) != 1:
            raise BadRecord(field, "holds several prompts; expected one")
        raw, field = raw[0], f"{field}[0]"
    if not isinstance(raw, list):
        raise BadRecord(field, "missing or not a list")
    names: dict[str, str] = {}
    out = []
    for i, item in enumerate(raw):
        out.extend(chat_message(item, f"{field}[{i}]", names))
    return out


def usage_pair(usage: Any) -> tuple[Any, Any]:
    """``(input_tokens, output_tokens)`` from a usage dict in OpenAI or Anthropic naming."""
    usage = usage if isinstance(usage, dict) else {}
    tokens_in = usage.get("prompt_tokens", usage.get("input_tokens"))
    return tokens_in, usage.get("completion_tokens", usage.get("output_tokens"))


def _generation(outputs: dict, field: str) -> dict:
    """Response pieces from LangChain ``{"generations": [[{"message"|"text"}]], "llm_output"}``."""
    gens = outputs["generations"]
    where = f"{field}.generations[0]"
    first = gens[0] if isinstance(gens, list) and gens else None
    if isinstance(first, list):
        first, where = (first[0] if first else None), f"{where}[0]"
    if not isinstance(first, dict):
        raise BadRecord(where, "missing or not an object")
    llm_output = obj_at(outputs, "llm_output")
    tokens_in, tokens_out = usage_pair(llm_output.get("token_usage"))
    model = llm_output.get("model_name")
    if first.get("message") is None:
        text = text_of(first.get("text"), f"{where}.text")
        response = message("assistant", text)
    else:
        response = chat_message(first["message"], f"{where}.message")[-1]
        data = (_lc_shape(first["message"]) or ("", first["message"]))[1]
        meta_in, meta_out = usage_pair(data.get("usage_metadata"))
        tokens_in = meta_in if tokens_in is None else tokens_in
        tokens_out = meta_out if tokens_out is None else tokens_out
        meta = obj_at(data, "response_metadata")
        model = model or meta.get("model_name") or meta.get("model")
    return dict(response=response, model=model, input_tokens=tokens_in, output_tokens=tokens_out)


def response_of(outputs: Any, field: str) -> dict:
    """``{response, model, input_tokens, output_tokens}`` from a run's ``outputs``."""
    if not isinstance(outputs, dict):
        raise BadRecord(field, "missing or not an object")
    if "choices" in outputs:
        return openai_completion(outputs, field)
    if "generations" in outputs:
        return _generation(outputs, field)
    if "role" in outputs or outputs.get("type") == "message" or _lc_shape(outputs):
        tokens_in, tokens_out = usage_pair(outputs.get("usage"))
        response = chat_message(outputs, field)[-1]
        model = outputs.get("model")
        return dict(
            response=response, model=model, input_tokens=tokens_in, output_tokens=tokens_out
        )
    raise BadRecord(field, "has no choices, generations or assistant message")
