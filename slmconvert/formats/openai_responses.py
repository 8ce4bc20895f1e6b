"""`openai-responses`: OpenAI Responses API calls (``POST /v1/responses``).

Layouts accepted (sniffed, not assumed):
- ``{"request": <create params>, "response": <response object>}``;
- ``{"input": <create params>, "output": <response object>}``;
- the create params at top level (``input``, ``instructions``, ``tools``, ...) with ``response``
  beside them;
- a response object alone (``"object": "response"``). It never holds its own input, so it is
  ignored as a call ("response without its request"), but later calls can still chain to it.

This module holds the format: its sniff and parse, the side input that rebuilds chained
conversations, and `responses_records` / `responses_call` for other formats. The request's
``instructions`` and ``input`` items come first in the prompt; the response's ``output`` items
give the answer, the last assistant turn, with the provider-run tool calls before it at the end
of the prompt. `responses_items` converts the items and tools.

A request with ``previous_response_id`` continues an earlier response. Every Responses log is
also a side input (`SIDE_NAME`): the earlier responses it names are indexed (their input and
output as canonical messages) so the whole conversation is rebuilt. When the earlier response
is not in the input, the call is kept with what it has and counted as a partial prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import new_record
from slmconvert.formats.registry import Ignored, ParseContext, Parser, SideInput, register
from slmconvert.formats.responses_items import PARTIAL_ITEM as PARTIAL_ITEM
from slmconvert.formats.responses_items import (
    Items,
    add_instructions,
    input_items,
    item_kind,
    output_items,
    tools_of,
)

SIDE_NAME = "openai-responses"
AGENTS_SIDE = "openai-agents"
"""The `openai-agents` side input: Responses ``response_id`` -> the name of the agent that
made the call, used as the record's ``workload``."""
PAIRS = (("request", "response"), ("input", "output"))
FOREIGN_KEYS = ("traceId", "run_type", "call_type", "custom_id", "span_data")
FAILED = frozenset({"failed", "cancelled", "incomplete"})
RUNNING = frozenset({"in_progress", "queued"})
MAX_CHAIN = 100
"""At most this many earlier responses are followed through ``previous_response_id``."""

PARTIAL_PREVIOUS = "partial prompt kept (previous_response_id not in the input)"
PARTIAL_REQUEST = "partial prompt kept (an earlier response was logged without its request)"
PARTIAL_CHAIN = f"partial prompt kept (over {MAX_CHAIN} chained responses)"
PARTIAL_CONVERSATION = "partial prompt kept (conversation items not in the input)"


# --- layouts ------------------------------------------------------------------------------


def _split(obj: Any) -> tuple[str, dict | None, str, Any] | None:
    """``(request field, request, response field, response)``; request is None for a bare
    response object."""
    if not isinstance(obj, dict) or any(key in obj for key in FOREIGN_KEYS):
        return None
    if obj.get("object") == "response":
        return "", None, "", obj
    for req_key, resp_key in PAIRS:
        if isinstance(obj.get(req_key), dict) and resp_key in obj:
            return req_key, obj[req_key], resp_key, obj[resp_key]
    if "input" in obj and "response" in obj:
        return "", obj, "response", obj["response"]
    return None


def _path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _is_response(value: Any) -> bool:
    if not isinstance(value, dict) or "choices" in value:
        return False
    if value.get("object") == "response":
        return True
    return isinstance(value.get("output"), list) and str(value.get("id", "")).startswith("resp")


def _is_event(value: Any) -> bool:
    kind = item_kind(value)
    return kind is not None and kind.startswith("response.")


def sniff(obj: Any) -> bool:
    """A response object (``"object": "response"``), a request/response pair whose response
    is one, or a streaming event (``"type": "response.*"``, rejected when parsed)."""
    parts = _split(obj)
    if parts is None:
        return _is_event(obj) and any(k in obj for k in ("sequence_number", "item_id", "response"))
    _, request, _, response = parts
    if request is None:
        return True
    if "messages" in request or "contents" in request:
        return False
    if _is_response(response):
        return True
    events = isinstance(response, list) and bool(response) and _is_event(response[0])
    return events or (response is None and "input" in request)


# --- chains -------------------------------------------------------------------------------


def _previous(request: dict | None, response: Any) -> Any:
    prev = (request or {}).get("previous_response_id")
    if prev is None and isinstance(response, dict):
        prev = response.get("previous_response_id")
    return prev


def refs(obj: dict) -> list[str]:
    """The earlier response an object chains to (``previous_response_id``), if any."""
    parts = _split(obj)
    prev = _previous(parts[1], parts[3]) if parts else None
    return [prev] if isinstance(prev, str) else []


def index(obj: dict) -> list[tuple[str, dict]]:
    """``[(response id, the raw earlier turn)]``: the previous id, the request's ``input``
    (None for a response logged alone) and the response's ``output``. Cheap: collect keeps
    only the ids some call chains to, and `finish` converts those."""
    parts = _split(obj)
    response = parts[3] if parts else None
    if not isinstance(response, dict) or not isinstance(response.get("id"), str):
        return []
    req_key, request, resp_key, _ = parts
    prev = _previous(request, response)
    turn = {
        "prev": prev if isinstance(prev, str) else None,
        "input": None if request is None else (request.get("input"), _path(req_key, "input")),
        "output": (response.get("output"), _path(resp_key, "output")),
    }
    return [(response["id"], turn)]


def finish(table: dict) -> dict:
    """The indexed turns as ``(previous id, input messages or None, output messages,
    notes)``. An earlier turn that does not convert is left out (its own line is reported)."""
    out = {}
    for response_id, turn in table.items():
        try:
            out[response_id] = _convert_turn(turn)
        except Exception:  # BadRecord, or a strange value: a later call then counts a gap
            continue
    return out


def _convert_turn(turn: dict) -> tuple:
    names: dict[str, str] = {}
    notes: set[str] = set()
    inputs = None
    if turn["input"] is not None:
        raw, field = turn["input"]
        inputs = Items(names, notes).feed(input_items(raw, field), field).done()
    raw, field = turn["output"]
    if not isinstance(raw, list):
        raise BadRecord(field, "missing or not a list of items")
    outputs = Items(names, notes).feed(raw, field).done()
    return turn["prev"], inputs, outputs, tuple(sorted(notes))


def _copy(messages: list[dict]) -> list[dict]:
    # records own their messages: new_record strips marks from tool calls, names get filled
    return [{**m, "tool_calls": [dict(c) for c in m["tool_calls"]]} for m in messages]


def _history(prev: Any, own_id: Any, table: dict, notes: set[str], field: str) -> list[dict]:
    """The earlier turns of a chained call, oldest first, from the side index."""
    if prev is None:
        return []
    if not isinstance(prev, str):
        raise BadRecord(field, "not a string")
    segments, seen = [], {own_id if isinstance(own_id, str) else None}
    while prev is not None:
        if prev in seen:
            raise BadRecord(field, "the chain of responses loops back on itself")
        if len(segments) >= MAX_CHAIN:
            notes.add(PARTIAL_CHAIN)
            break
        entry = table.get(prev)
        if entry is None:
            notes.add(PARTIAL_PREVIOUS)
            break
        seen.add(prev)
        prev, inputs, outputs, earlier_notes = entry
        notes.update(earlier_notes)
        if inputs is None:
            notes.add(PARTIAL_REQUEST)
        segments.append((inputs or [], outputs))
    out: list[dict] = []
    for inputs, outputs in reversed(segments):
        out += _copy(inputs) + _copy(outputs)
    return out


def _fill_names(messages: list[dict]) -> None:
    """Name tool results whose call came from an earlier response of the chain."""
    names = {c["id"]: c["name"] for m in messages for c in m["tool_calls"] if c["id"]}
    for m in messages:
        if m["role"] == "tool" and m["name"] is None and m["tool_call_id"] in names:
            m["name"] = names[m["tool_call_id"]]


# --- records ------------------------------------------------------------------------------


def _workload(response: dict, side: dict, sources: Iterable[Any]) -> Any:
    agents = side.get(AGENTS_SIDE) or {}
    response_id = response.get("id")
    name = agents.get(response_id) if isinstance(response_id, str) else None
    if isinstance(name, str):
        return name
    for source in sources:
        if isinstance(source, dict):
            value = source.get("workload_id", source.get("workload"))
            if value is not None:
                return value
    return None


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _latency_ms(response: dict) -> float | None:
    """``completed_at - created_at`` (epoch seconds), when the response has both."""
    start, end = response.get("created_at"), response.get("completed_at")
    numbers = all(isinstance(t, int | float) and not isinstance(t, bool) for t in (start, end))
    return (end - start) * 1000.0 if numbers and end >= start else None


def _status_reason(status: Any) -> str | None:
    if not isinstance(status, str):
        return None
    if status in FAILED:
        return "failed call"
    if status in RUNNING:
        return "unfinished call"
    return None


def _skip_reason(request: Any, response: Any, field: str, wrapper: dict) -> str | None:
    """Why a logged call is not one to keep (``Ignored``), or None; raises `BadRecord` for a
    malformed response."""
    if response is None:
        if wrapper.get("error") is not None:
            return "failed call"
        raise BadRecord(field or "response", "missing")
    if isinstance(response, list) or _is_event(response):
        raise BadRecord(field or "type", "streaming events; log the assembled response")
    if not isinstance(response, dict):
        raise BadRecord(field or "response", "not an object")
    reason = _status_reason(response.get("status"))
    if reason and not output_items(response, _path(field, "output")):
        return reason
    if request is None:
        return "response without its request"
    if not isinstance(request, dict):
        raise BadRecord("request", "not an object")
    return None


def _prompt(request: dict, response: dict, table: dict, items: Items, fields: tuple) -> list:
    """The messages before the answer: instructions, the chained history, then the input."""
    field, request_field = fields
    if request.get("instructions") is not None:
        add_instructions(request["instructions"], _path(request_field, "instructions"), items)
    else:  # e.g. a prompt template's, which only the response echoes
        add_instructions(response.get("instructions"), _path(field, "instructions"), items)
    prev, where = _previous(request, response), _path(request_field, "previous_response_id")
    items.extend(_history(prev, response.get("id"), table, items.notes, where))
    where = _path(request_field, "input")
    items.feed(input_items(request.get("input"), where), where)
    if request.get("conversation") or response.get("conversation"):
        items.notes.add(PARTIAL_CONVERSATION)
    return items.done()


def responses_records(
    request: dict | None,
    response: Any,
    ctx: ParseContext,
    field: str = "response",
    side: dict | None = None,
    *,
    wrapper: dict | None = None,
    request_field: str = "request",
) -> Iterator[Any]:
    """The record of one Responses call, then an ``Ignored`` note per way its prompt is partial
    (the record is kept); or only an ``Ignored`` for a failed call or a response without its
    request. ``side`` defaults to ``ctx.side``; ``wrapper`` is the logged object around the
    pair (``workload_id``, ``timestamp``, ``latency_ms``, ``cost_usd``, ``error``)."""
    side = ctx.side if side is None else side
    wrapper = wrapper or {}
    skip = _skip_reason(request, response, field, wrapper)
    if skip:
        yield Ignored(skip)
        return
    notes: set[str] = set()
    names: dict[str, str] = {}
    table = side.get(SIDE_NAME) or {}
    prompt = _prompt(request, response, table, Items(names, notes), (field, request_field))
    output = output_items(response, _path(field, "output"))
    produced = Items(names, notes).feed(output, _path(field, "output")).done()
    last = max((i for i, m in enumerate(produced) if m["role"] == "assistant"), default=None)
    if last is None:
        reason = _status_reason(response.get("status"))
        if reason is None:
            raise BadRecord(_path(field, "output"), "no message or tool call")
        yield Ignored(reason)
        return
    messages, answer = prompt + produced[:last], produced[last]
    _fill_names(messages)
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    if request.get("tools") is not None:
        tools = tools_of(request["tools"], _path(request_field, "tools"))
    else:  # the response echoes the tools it was given
        tools = tools_of(response.get("tools"), _path(field, "tools"))
    metadata = (wrapper, request.get("metadata"), response.get("metadata"))
    yield new_record(
        source=ctx.source,
        messages=messages,
        tools=tools,
        response=answer,
        model=response.get("model") or request.get("model"),
        workload=_workload(response, side, metadata),
        timestamp=_first(wrapper.get("timestamp"), response.get("created_at")),
        input_tokens=usage.get("input_tokens"),
        output_tokens=usage.get("output_tokens"),
        latency_ms=_first(wrapper.get("latency_ms"), _latency_ms(response)),
        cost_usd=wrapper.get("cost_usd"),
    )
    for note in sorted(notes):
        yield Ignored(note)


def responses_call(
    request: dict | None,
    response: Any,
    ctx: ParseContext,
    field: str = "response",
    side: dict | None = None,
) -> dict | None:
    """The canonical record of one Responses call (``request`` may be None; ``side`` defaults
    to ``ctx.side``), or None when it is not a call to keep (failed, or no request). Raises
    `BadRecord` for a malformed one. Use `responses_records` to also count partial prompts."""
    for item in responses_records(request, response, ctx, field, side):
        if isinstance(item, dict):
            return item
    return None


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per call (see `responses_records`); a streaming event is a bad record."""
    parts = _split(obj)
    if parts is None:
        if _is_event(obj):
            raise BadRecord("type", "streaming event; log the assembled response")
        raise BadRecord("response", "missing request/response pair")
    req_key, request, resp_key, response = parts
    yield from responses_records(
        request, response, ctx, resp_key, wrapper=obj, request_field=req_key
    )


PARSER = register(
    Parser(
        name="openai-responses",
        description="OpenAI Responses API calls, chained through previous_response_id",
        sniff=sniff,
        parse=parse,
        side_input=SideInput(
            name=SIDE_NAME,
            sniff=sniff,
            index=index,
            also_data=True,
            refs=refs,
            finish=finish,
        ),
    )
)
