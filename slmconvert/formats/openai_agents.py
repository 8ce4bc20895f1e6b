"""`openai-agents`: trace exports of the OpenAI Agents SDK (``openai-agents``), one record per
``generation`` span, named after the agent that made the call.

Layouts accepted (sniffed, not assumed), each item as the SDK's ``export()`` writes it:
- an export batch ``{"data": [<trace or span>, ...]}``, the body the SDK's
  ``BackendSpanExporter`` posts;
- one span per line: ``{"object": "trace.span", "id", "trace_id", "parent_id", "started_at",
  "ended_at", "span_data": {"type", ...}, "error"}``;
- one trace per line: ``{"object": "trace", "id", "workflow_name", "group_id", "metadata"}``.

A ``generation`` span is a Chat Completions call: ``span_data.input`` is the messages list,
``span_data.output`` the assistant message (``[message.model_dump()]``) or, for a streamed
call, the assembled Responses object (``[{"object": "response", "output": [...]}]``);
``model`` and ``usage.input_tokens/output_tokens`` sit beside them. The trace holds no tool
schemas (``agent`` spans only name the tools), so records carry none.

A ``response`` span (an agent on the Responses API) holds only the response id and usage: its
content is in a Responses log, which the ``openai-responses`` parser reads. The agent names
join both through the side input ``openai-agents``: the trace file is indexed first (spans end,
and are exported, before their agent span), then ``finish`` resolves each generation span and
each response id to the name of its nearest enclosing ``agent`` span, which becomes the
record's ``workload``. Other spans (agent, function, handoff, guardrail, custom, mcp_tools),
traces, failed generations and generations traced without their data are ``Ignored``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import message, new_record, to_datetime, tool_call
from slmconvert.formats.common import content_of, known_kind, openai_message, openai_messages
from slmconvert.formats.registry import Ignored, ParseContext, Parser, SideInput, register

SIDE_NAME = "openai-agents"
SPAN = "span:"
"""Prefix of the side-index keys of spans; response ids are stored bare."""
MAX_DEPTH = 256
NOT_A_CALL = Ignored("not an LLM call")
FAILED = Ignored("failed call")
RESPONSE_SPAN = Ignored("response span: content only in a Responses log")
NO_DATA = Ignored("generation span without its data (traced with sensitive data off)")
AUDIO_SPAN = Ignored("transcription or speech span")
UNKNOWN_SPAN = Ignored("span of an unknown type")
OTHER_SPANS = frozenset(
    {"agent", "function", "handoff", "guardrail", "custom", "mcp_tools", "speech_group"}
)
AUDIO_SPANS = frozenset({"transcription", "speech"})


# --- detection ---------------------------------------------------------------------------


def _is_item(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    kind = obj.get("object")
    if kind == "trace.span":
        return isinstance(obj.get("span_data"), dict)
    return kind == "trace" and "workflow_name" in obj


def _batch_items(obj: dict) -> list | None:
    data = obj.get("data")
    return data if "object" not in obj and isinstance(data, list) else None


def sniff(obj: Any) -> bool:
    """An exported trace (``object: trace`` with ``workflow_name``), an exported span
    (``object: trace.span`` with a ``span_data`` object), or a ``{"data": [...]}`` batch whose
    first item is one of them."""
    if not isinstance(obj, dict):
        return False
    if _is_item(obj):
        return True
    items = _batch_items(obj)
    return bool(items) and _is_item(items[0])


# --- side index: agent names -------------------------------------------------------------


def _agent_name(data: dict) -> str | None:
    """The agent name a span carries: an ``agent`` span's ``name``, or the ``agent_name`` of a
    ``turn`` span (a custom span newer SDKs open per agent turn)."""
    if data.get("type") == "agent":
        name = data.get("name")
    elif data.get("type") == "custom" and data.get("name") == "turn":
        inner = data.get("data")
        name = inner.get("agent_name") if isinstance(inner, dict) else None
    else:
        return None
    return name if isinstance(name, str) and name else None


def _index_item(item: Any) -> list[tuple[str, Any]]:
    if not isinstance(item, dict) or item.get("object") != "trace.span":
        return []
    span_id, data = item.get("id"), item.get("span_data")
    if not isinstance(span_id, str) or not isinstance(data, dict):
        return []
    parent = item.get("parent_id")
    entry = (parent if isinstance(parent, str) else None, _agent_name(data))
    pairs: list[tuple[str, Any]] = [(SPAN + span_id, (*entry, data.get("type") == "generation"))]
    response_id = data.get("response_id")
    if data.get("type") == "response" and isinstance(response_id, str) and response_id:
        pairs.append((response_id, SPAN + span_id))
    return pairs


def index(obj: dict) -> list[tuple[str, Any]]:
    """Side-index pairs of a trace-file object: ``("span:<id>", (parent id, agent name or
    None, is a generation))`` per span, and ``(response id, "span:<id>")`` per response span.
    Malformed items are skipped here (the record pass reports them)."""
    items = _batch_items(obj)
    pairs: list[tuple[str, Any]] = []
    for item in items if items is not None else [obj]:
        pairs.extend(_index_item(item))
    return pairs


def _enclosing_agent(table: dict, parent: Any, memo: dict[str, str | None]) -> str | None:
    """Name of the nearest agent at or above span ``parent``, following parent ids (a cycle or
    a missing span ends the walk with None); every span walked is memoised."""
    path: list[str] = []
    seen: set[str] = set()
    name = None
    while isinstance(parent, str):
        if parent in memo:
            name = memo[parent]
            break
        entry = table.get(SPAN + parent)
        if parent in seen or len(path) >= MAX_DEPTH or not isinstance(entry, tuple):
            break
        seen.add(parent)
        path.append(parent)
        if entry[1] is not None:
            name = entry[1]
            break
        parent = entry[0]
    for span in path:
        memo[span] = name
    return name


def finish(table: dict) -> dict:
    """The side table parse reads: ``"span:<generation span id>" -> agent name`` and
    ``response id -> agent name`` (bare id, as the ``openai-responses`` parser looks it up).
    Spans and responses without an enclosing agent are left out. Running it twice is harmless."""
    memo: dict[str, str | None] = {}
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, tuple):
            name = _enclosing_agent(table, value[0], memo) if value[2] else None
        elif isinstance(value, str) and value.startswith(SPAN) and not key.startswith(SPAN):
            entry = table.get(value)
            name = _enclosing_agent(table, entry[0], memo) if isinstance(entry, tuple) else None
        else:  # an entry finish already resolved
            name = value if isinstance(value, str) else None
        if name:
            out[key] = name
    return out


# --- records -----------------------------------------------------------------------------


def _prompt(raw: Any, field: str) -> list[dict]:
    """The generation's input messages; a tool result gets the name of the call it answers."""
    names: dict[str, str] = {}
    out = []
    for msg in openai_messages(raw, field):
        for call in msg["tool_calls"]:
            if call["id"] is not None:
                names[call["id"]] = call["name"]
        if msg["role"] == "tool" and msg["name"] is None and msg["tool_call_id"] in names:
            msg = {**msg, "name": names[msg["tool_call_id"]]}
        out.append(msg)
    return out


def _response_answer(resp: dict, field: str) -> dict:
    """The assistant message of a streamed generation's Responses object: its ``message``
    texts and ``function_call`` items (``reasoning`` items are never part of the answer)."""
    items = resp.get("output")
    if not isinstance(items, list):
        raise BadRecord(f"{field}.output", "missing or not a list")
    texts, calls, media = [], [], []
    for i, item in enumerate(items):
        where = f"{field}.output[{i}]"
        if not isinstance(item, dict):
            raise BadRecord(where, "not an object")
        kind = item.get("type")
        if kind == "message":
            text, kinds = content_of(item.get("content"), f"{where}.content")
            texts += [text] if text else []
            media += kinds
        elif kind == "function_call":
            if not isinstance(item.get("name"), str) or not item["name"]:
                raise BadRecord(f"{where}.name", "missing or not a string")
            calls.append(tool_call(item["name"], item.get("arguments"), item.get("call_id")))
        elif kind != "reasoning":
            raise BadRecord(f"{where}.type", f"unsupported output item {known_kind(kind)}")
    return message("assistant", "\n".join(texts) if texts else None, calls, media=media)


def _answer(raw: Any, field: str) -> tuple[dict, dict]:
    """``(assistant message, the streamed Responses object or {})`` of ``span_data.output``."""
    if not isinstance(raw, list):
        raise BadRecord(field, "missing or not a list")
    if not raw:
        raise BadRecord(field, "empty")
    first = raw[0]
    if not isinstance(first, dict):
        raise BadRecord(f"{field}[0]", "not an object")
    if first.get("object") == "response":
        return _response_answer(first, f"{field}[0]"), first
    msg = dict(first)
    msg.setdefault("role", "assistant")
    if msg["role"] != "assistant":
        raise BadRecord(f"{field}[0].role", "not an assistant message")
    if msg.get("content") is None and isinstance(msg.get("refusal"), str):
        msg["content"] = msg["refusal"]
    return openai_message(msg, f"{field}[0]"), {}


def _latency_ms(started: Any, ended: Any) -> float | None:
    start, end = to_datetime(started), to_datetime(ended)
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() * 1000


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _generation(span: dict, data: dict, p: str, ctx: ParseContext, table: dict) -> Iterator[Any]:
    """The record of one ``generation`` span (``p`` prefixes its error paths)."""
    if span.get("error") is not None:
        yield FAILED
        return
    if data.get("input") is None and data.get("output") is None:
        yield NO_DATA
        return
    messages = _prompt(data.get("input"), f"{p}span_data.input")
    answer, streamed = _answer(data.get("output"), f"{p}span_data.output")
    usage = data.get("usage")
    if not isinstance(usage, dict):
        usage = streamed.get("usage") if isinstance(streamed.get("usage"), dict) else {}
    span_id = span.get("id")
    yield new_record(
        source=ctx.source,
        messages=messages,
        response=answer,
        model=_text_or_none(data.get("model")) or _text_or_none(streamed.get("model")),
        workload=_text_or_none(table.get(SPAN + span_id)) if isinstance(span_id, str) else None,
        timestamp=span.get("started_at"),
        input_tokens=usage.get("input_tokens"),
        output_tokens=usage.get("output_tokens"),
        latency_ms=_latency_ms(span.get("started_at"), span.get("ended_at")),
    )


def _item(item: Any, p: str, ctx: ParseContext, table: dict) -> Iterator[Any]:
    """Records or ``Ignored`` of one trace or span (``p``: ``""`` or ``"data[3]."``)."""
    if not isinstance(item, dict):
        raise BadRecord(p.rstrip(".") or "line", "not an object")
    kind = item.get("object")
    if kind == "trace":
        yield NOT_A_CALL
        return
    if kind != "trace.span":
        raise BadRecord(f"{p}object", "neither 'trace' nor 'trace.span'")
    data = item.get("span_data")
    if not isinstance(data, dict):
        raise BadRecord(f"{p}span_data", "missing or not an object")
    span_type = data.get("type")
    if not isinstance(span_type, str):
        raise BadRecord(f"{p}span_data.type", "missing or not a string")
    if span_type == "generation":
        yield from _generation(item, data, p, ctx, table)
    elif span_type == "response":
        yield RESPONSE_SPAN
    elif span_type in AUDIO_SPANS:
        yield AUDIO_SPAN
    else:
        yield NOT_A_CALL if span_type in OTHER_SPANS else UNKNOWN_SPAN


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per generation span of a trace, a span or a batch; a bad item of a batch is
    yielded as a ``BadRecord`` and the rest of the batch is kept."""
    if not isinstance(obj, dict):
        raise BadRecord("line", "not an object")
    table = ctx.side.get(SIDE_NAME)
    items = _batch_items(obj)
    if items is None:
        yield from _item(obj, "", ctx, table or {})
        return
    if table is None:  # parsed without collect's side index: resolve within the batch
        table = finish(dict(index(obj)))
    for i, item in enumerate(items):
        try:
            yield from _item(item, f"data[{i}].", ctx, table)
        except BadRecord as exc:
            yield exc


PARSER = register(
    Parser(
        name="openai-agents",
        description="OpenAI Agents SDK trace export (generation spans, named by agent)",
        sniff=sniff,
        parse=parse,
        side_input=SideInput(
            name=SIDE_NAME, sniff=sniff, index=index, also_data=True, finish=finish
        ),
    )
)
