"""`otel`: OpenTelemetry GenAI spans in an OTLP JSON export (a whole file, or one per JSONL line).

Spans sit in ``resourceSpans[].scopeSpans[].spans[]``, attributes as ``[{"key","value":{...}}]``.
One record per chat span (``gen_ai.operation.name`` chat/generate_content/text_completion, or
unset with prompt attributes); other spans yield ``Ignored("not an LLM call")``, error-status spans
``Ignored("failed call")``. Reads the current convention (``gen_ai.input.messages`` /
``gen_ai.output.messages`` parts, ``gen_ai.system_instructions``, ``gen_ai.tool.definitions``,
``gen_ai.usage.input_tokens``) and OpenLLMetry's flattened ``gen_ai.prompt.{i}.*`` /
``gen_ai.completion.{i}.*`` / ``llm.request.functions.{i}.*`` with ``gen_ai.usage.prompt_tokens``.

One export holds many spans, so a malformed span must not lose the others: for a bad span the
parser YIELDS a `BadRecord` (``field`` prefixed with the span's path) and goes on; collect counts
yielded BadRecords like raised ones. An object that is not an OTLP export still raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import dumps, message, new_record, tool_call
from slmconvert.formats.common import (
    anthropic_blocks,
    content_of,
    openai_tools,
    role_of,
    text_of,
)
from slmconvert.formats.registry import Ignored, ParseContext, Parser, register

CHAT_OPERATIONS = {"chat", "generate_content", "text_completion"}
SKIPPED_PARTS = {"reasoning", "thinking"}
MEDIA_PARTS = {"blob", "file", "uri"}


def _value(raw: Any, field: str) -> Any:
    """Python value of an OTLP ``AnyValue``."""
    if not isinstance(raw, dict):
        raise BadRecord(field, "not an AnyValue object")
    if "intValue" in raw:
        try:
            return int(raw["intValue"])
        except (TypeError, ValueError):
            raise BadRecord(f"{field}.intValue", "not an integer") from None
    if "arrayValue" in raw:
        values = (raw["arrayValue"] or {}).get("values") or []
        return [_value(v, f"{field}.arrayValue.values[{i}]") for i, v in enumerate(values)]
    if "kvlistValue" in raw:
        return attributes((raw["kvlistValue"] or {}).get("values"), f"{field}.kvlistValue")
    for key in ("stringValue", "doubleValue", "boolValue", "bytesValue"):
        if key in raw:
            return raw[key]
    return None


def attributes(raw: Any, field: str) -> dict[str, Any]:
    """OTLP ``[{"key","value"}]`` attributes as a plain dict."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise BadRecord(field, "not a list")
    out = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise BadRecord(f"{field}[{i}]", "not a key/value object")
        out[item["key"]] = _value(item.get("value"), f"{field}[{i}].value")
    return out


def _json(attrs: dict, key: str) -> Any:
    """An attribute holding JSON (usually serialized as a string), decoded; None if absent."""
    value = attrs.get(key)
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise BadRecord(key, "not valid JSON") from None
    return value


def _part_messages(raw: Any, field: str, names: dict[str, str]) -> list[dict]:
    """Canonical messages from ``[{"role","parts":[...]}]`` (current GenAI convention)."""
    if not isinstance(raw, list):
        raise BadRecord(field, "not a list")
    out = []
    for i, msg in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(msg, dict):
            raise BadRecord(where, "not an object")
        role = role_of(msg.get("role"), where)
        parts = msg.get("parts")
        media: list[str] = []
        if parts is None:
            text, media = content_of(msg.get("content"), f"{where}.content")
            parts = [] if text is None else [{"type": "text", "content": text}]
        if not isinstance(parts, list):
            raise BadRecord(f"{where}.parts", "not a list")
        texts, calls, results = [], [], []
        for j, part in enumerate(parts):
            at = f"{where}.parts[{j}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                text = part.get("content", part.get("text"))
                if not isinstance(text, str):
                    raise BadRecord(f"{at}.content", "missing or not a string")
                texts.append(text)
            elif kind == "tool_call":
                call = tool_call(part.get("name"), part.get("arguments"), part.get("id"))
                if call["id"]:
                    names[call["id"]] = call["name"]
                calls.append(call)
            elif kind == "tool_call_response":
                result = part.get("response")
                text = result if isinstance(result, str) else dumps(result)
                use_id = part.get("id")
                results.append(message("tool", text, tool_call_id=use_id, name=names.get(use_id)))
            elif kind in MEDIA_PARTS:  # semconv blob/file/uri parts name their modality
                modality = part.get("modality")
                media.append(modality if modality in ("image", "audio", "video") else "file")
            elif kind not in SKIPPED_PARTS:
                raise BadRecord(f"{at}.type", "unsupported part")
        out.extend(results)
        if texts or calls or media or not results:
            out.append(message(role, "\n".join(texts) if texts else None, calls, media=media))
    return out


def _indexed(attrs: dict, prefix: str) -> list[dict]:
    """``{prefix}{i}.{rest}`` attributes grouped per index ``i`` (in order) as ``{rest: value}``."""
    groups: dict[int, dict] = {}
    for key, value in attrs.items():
        if key.startswith(prefix):
            index, _, rest = key[len(prefix) :].partition(".")
            if index.isdigit() and rest:
                groups.setdefault(int(index), {})[rest] = value
    return [groups[i] for i in sorted(groups)]


def _flat_messages(attrs: dict, prefix: str, default_role: str | None) -> list[dict]:
    """Canonical messages from OpenLLMetry's flattened ``{prefix}{i}.*`` attributes."""
    out: list[dict] = []
    names: dict[str, str] = {}
    for i, group in enumerate(_indexed(attrs, prefix)):
        where = f"{prefix}{i}"
        role = role_of(group.get("role", default_role), where)
        calls = [
            tool_call(c.get("name"), c.get("arguments"), c.get("id"))
            for c in _indexed(group, "tool_calls.")
        ]
        if "function_call.name" in group:
            calls.append(
                tool_call(group["function_call.name"], group.get("function_call.arguments"))
            )
        names.update({c["id"]: c["name"] for c in calls if c["id"]})
        content = group.get("content")
        blocks = None
        if isinstance(content, str) and content.startswith("[{"):
            try:
                blocks = orjson.loads(content)
            except orjson.JSONDecodeError:
                blocks = None
            if not isinstance(blocks, list) or not all(
                isinstance(b, dict) and "type" in b for b in blocks
            ):
                blocks = None
        if blocks is not None and not calls:
            out.extend(anthropic_blocks(role, blocks, f"{where}.content", names))
            continue
        text, media = content_of(blocks if blocks is not None else content, f"{where}.content")
        if role == "assistant" and text == "" and calls:
            text = None
        out.append(message(role, text, calls, tool_call_id=group.get("tool_call_id"), media=media))
    return out


def _system(attrs: dict) -> list[dict]:
    """``gen_ai.system_instructions`` as zero or one system message: parts as JSON, or plain
    text (which may itself start with a bracket)."""
    system = attrs.get("gen_ai.system_instructions")
    if isinstance(system, str) and system.lstrip().startswith(("[", "{")):
        try:
            system = orjson.loads(system)
        except orjson.JSONDecodeError:
            pass  # plain text that happens to start with a bracket
    return [message("system", text_of(system, "gen_ai.system_instructions"))] if system else []


def _semconv_call(attrs: dict) -> tuple[list[dict], list[dict], list[dict]]:
    """``(prompt, replies, tools)`` of a span in the current GenAI convention."""
    names: dict[str, str] = {}
    messages = _system(attrs)
    messages += _part_messages(
        _json(attrs, "gen_ai.input.messages"), "gen_ai.input.messages", names
    )
    output = _json(attrs, "gen_ai.output.messages")
    replies = _part_messages(output, "gen_ai.output.messages", names) if output else []
    tools = openai_tools(_json(attrs, "gen_ai.tool.definitions"), "gen_ai.tool.definitions")
    return messages, replies, tools


def _legacy_call(attrs: dict) -> tuple[list[dict], list[dict], list[dict]]:
    """``(prompt, replies, tools)`` of a span in the older ``gen_ai.prompt.N.*`` attributes."""
    messages = _flat_messages(attrs, "gen_ai.prompt.", None)
    replies = _flat_messages(attrs, "gen_ai.completion.", "assistant")
    functions = _indexed(attrs, "llm.request.functions.") or None
    return messages, replies, openai_tools(functions, "llm.request.functions")


def _span(span: Any, ctx: ParseContext) -> dict | Ignored:
    """One span as a record, or ``Ignored`` when it is not a (successful) LLM call."""
    if not isinstance(span, dict):
        raise BadRecord("span", "not an object")
    attrs = attributes(span.get("attributes"), "attributes")
    op = attrs.get("gen_ai.operation.name")
    has_prompt = "gen_ai.input.messages" in attrs or any(
        k.startswith("gen_ai.prompt.") for k in attrs
    )
    if op not in CHAT_OPERATIONS and (op is not None or not has_prompt):
        return Ignored("not an LLM call")
    status = span.get("status")
    if isinstance(status, dict) and status.get("code") in (2, "STATUS_CODE_ERROR"):
        return Ignored("failed call")
    if "gen_ai.input.messages" in attrs:
        messages, replies, tools = _semconv_call(attrs)
    elif has_prompt:
        messages, replies, tools = _legacy_call(attrs)
    else:
        raise BadRecord("gen_ai.input.messages", "missing (message content was not captured)")
    if not replies:
        where = (
            "gen_ai.output.messages" if "gen_ai.input.messages" in attrs else "gen_ai.completion"
        )
        raise BadRecord(where, "missing")
    start, end = span.get("startTimeUnixNano"), span.get("endTimeUnixNano")
    try:
        latency = (int(end) - int(start)) / 1e6
    except (TypeError, ValueError):
        latency = None
    return new_record(
        source=ctx.source,
        messages=messages,
        tools=tools,
        response=replies[0],
        model=attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model"),
        workload=attrs.get("gen_ai.agent.name"),
        timestamp=int(start) if isinstance(start, str) and start.isdigit() else start,
        input_tokens=attrs.get(
            "gen_ai.usage.input_tokens", attrs.get("gen_ai.usage.prompt_tokens")
        ),
        output_tokens=attrs.get(
            "gen_ai.usage.output_tokens", attrs.get("gen_ai.usage.completion_tokens")
        ),
        latency_ms=latency,
    )


def sniff(obj: Any) -> bool:
    """An OTLP JSON trace export: an object with a ``resourceSpans`` list."""
    return isinstance(obj, dict) and isinstance(obj.get("resourceSpans"), list)


def _spans(obj: dict) -> Iterator[tuple[str, Any]]:
    """``(path, span)`` for every span of an export; a malformed container gives a BadRecord."""
    for r, resource in enumerate(obj["resourceSpans"]):
        where = f"resourceSpans[{r}]"
        if not isinstance(resource, dict):
            yield where, BadRecord(where, "not an object")
            continue
        key = "scopeSpans" if "scopeSpans" in resource else "instrumentationLibrarySpans"
        scopes = resource.get(key) or []
        if not isinstance(scopes, list):
            yield where, BadRecord(f"{where}.{key}", "not a list")
            continue
        for s, scope in enumerate(scopes):
            at = f"{where}.{key}[{s}]"
            spans = scope.get("spans") or [] if isinstance(scope, dict) else None
            if not isinstance(spans, list):
                yield at, BadRecord(f"{at}.spans", "not a list")
                continue
            for i, span in enumerate(spans):
                yield f"{at}.spans[{i}]", span


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per chat span; ``Ignored`` for other spans; a yielded BadRecord per bad span."""
    if not isinstance(obj, dict) or not isinstance(obj.get("resourceSpans"), list):
        raise BadRecord("resourceSpans", "missing or not a list")
    for path, span in _spans(obj):
        if isinstance(span, BadRecord):
            yield span
            continue
        try:
            item = _span(span, ctx)
        except BadRecord as exc:
            item = BadRecord(f"{path}.{exc.field}", exc.reason)
        except Exception as exc:  # an odd span costs itself, not the rest of the export
            item = BadRecord(path, f"parser error ({type(exc).__name__})")
        yield item


PARSER = register(
    Parser(
        name="otel",
        description="OpenTelemetry GenAI spans (OTLP JSON; current and OpenLLMetry conventions)",
        sniff=sniff,
        parse=parse,
    )
)
