"""`openai-responses`: OpenAI Responses API calls (``POST /v1/responses``).

Layouts accepted (sniffed, not assumed):
- ``{"request": <create params>, "response": <response object>}``;
- ``{"input": <create params>, "output": <response object>}``;
- the create params at top level (``input``, ``instructions``, ``tools``, ...) with ``response``
  beside them;
- a response object alone (``"object": "response"``). It never holds its own input, so it is
  ignored as a call ("response without its request"), but later calls can still chain to it.

The request's ``input`` is a string or a list of items: messages (with or without ``"type":
"message"``), ``function_call`` / ``function_call_output`` and the other tool items, and
``reasoning`` items (skipped). ``instructions`` becomes the first, system message. The
response's ``output`` items give the answer: the last assistant turn (text and client tool
calls); tools the provider ran on the way (``web_search_call``, ``file_search_call``,
``code_interpreter_call``, ``image_generation_call``, ``mcp_call``) are kept as calls with
``provider`` set, followed by a tool message with their result when the item holds one, at the
end of the prompt.

A request with ``previous_response_id`` continues an earlier response. Every Responses log is
also a side input (`SIDE_NAME`): the earlier responses it names are indexed (their input and
output as canonical messages) so the whole conversation is rebuilt. When the earlier response
is not in the input, the call is kept with what it has and counted as a partial prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from slmconvert.errors import BadRecord
from slmconvert.formats.common import (
    MEDIA_PART_TYPES,
    TEXT_PART_TYPES,
    Memo,
    content_of,
    known_kind,
    role_of,
    text_of,
)
from slmconvert.formats.registry import Ignored, ParseContext, Parser, SideInput, register
from slmconvert.records import SharedTools, dumps, message, new_record, tool, tool_call

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
PARTIAL_ITEM = "partial prompt kept (item_reference or compaction item not resolved)"

CLIENT_CALLS = {
    "function_call": None,
    "custom_tool_call": None,
    "computer_call": "computer",
    "local_shell_call": "local_shell",
    "shell_call": "shell",
    "apply_patch_call": "apply_patch",
}
"""Calls the agent runs itself, and the tool name of those that do not carry one."""
CALL_OUTPUTS = frozenset({
    "function_call_output", "custom_tool_call_output", "computer_call_output",
    "local_shell_call_output", "shell_call_output", "apply_patch_call_output",
})  # fmt: skip
PROVIDER_CALLS = frozenset({
    "web_search_call", "file_search_call", "code_interpreter_call", "image_generation_call",
    "mcp_call", "mcp_approval_request",
})  # fmt: skip
SKIPPED_ITEMS = frozenset({"reasoning", "mcp_list_tools"})
UNRESOLVED_ITEMS = frozenset({"item_reference", "compaction"})
CONTENT_PARTS = TEXT_PART_TYPES | set(MEDIA_PART_TYPES) | {"refusal"}
SCREENSHOTS = frozenset({"computer_screenshot", "input_image"})
CUSTOM_TOOL_PARAMETERS = {
    "type": "object",
    "properties": {"input": {"type": "string"}},
    "required": ["input"],
}
"""A custom (free-form) tool's input is text; the record keeps it as ``{"input": text}``."""


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


def _kind(node: Any) -> str | None:
    """The ``type`` of an item or part when it is a string (a value from the log may be
    anything, even unhashable)."""
    kind = node.get("type") if isinstance(node, dict) else None
    return kind if isinstance(kind, str) else None


def _is_response(value: Any) -> bool:
    if not isinstance(value, dict) or "choices" in value:
        return False
    if value.get("object") == "response":
        return True
    return isinstance(value.get("output"), list) and str(value.get("id", "")).startswith("resp")


def _is_event(value: Any) -> bool:
    kind = _kind(value)
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


# --- items --------------------------------------------------------------------------------


def _call_id(item: dict, key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRecord(f"{where}.{key}", "not a string")
    return value


def _name(item: dict, where: str) -> str:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise BadRecord(f"{where}.name", "missing or not a string")
    return name


def _json_text(value: Any) -> str:
    """Canonical JSON of a tool result, with media parts reduced to their type and the
    provider's opaque ``encrypted_*`` fields left out."""

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            kind = _kind(node)
            if kind in MEDIA_PART_TYPES or kind in SCREENSHOTS:
                return {"type": kind}
            return {k: clean(v) for k, v in node.items() if not str(k).startswith("encrypted")}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return dumps(clean(value))


def _result(output: Any, where: str) -> tuple[str, list[str]]:
    """``(text, media kinds)`` of what a tool the agent ran returned."""
    if output is None:
        return "", []
    if isinstance(output, str):
        return output, []
    if _kind(output) in SCREENSHOTS:
        return "", ["image"]
    if isinstance(output, list) and all(_kind(p) in CONTENT_PARTS for p in output):
        text, media = content_of(output, where)
        return text or "", media
    return _json_text(output), []


def _provider_result(kind: str, item: dict, where: str) -> tuple[str, list[str]] | None:
    """The result a provider-run tool item holds, or None when it holds none."""
    if kind == "web_search_call":
        action = item.get("action")
        sources = action.get("sources") if isinstance(action, dict) else None
        return (_json_text(sources), []) if sources else None
    if kind == "file_search_call":
        results = item.get("results")
        if not isinstance(results, list):
            return None
        texts = [
            r["text"] for r in results if isinstance(r, dict) and isinstance(r.get("text"), str)
        ]
        return ("\n\n".join(texts) if texts else _json_text(results)), []
    if kind == "code_interpreter_call":
        outputs = item.get("outputs")
        if not isinstance(outputs, list):
            return None
        logs = [o.get("logs") for o in outputs if _kind(o) == "logs"]
        media = ["image" for o in outputs if _kind(o) == "image"]
        return "\n".join(str(log) for log in logs), media
    if kind == "image_generation_call":
        return ("", ["image"]) if item.get("result") else None
    if kind == "mcp_call":
        value = item.get("output") if item.get("output") is not None else item.get("error")
        return None if value is None else _result(value, f"{where}.output")
    return None  # mcp_approval_request: answered by an mcp_approval_response item


def _provider_call(kind: str, item: dict, where: str) -> dict:
    call_id = _call_id(item, "id", where)
    if kind == "web_search_call":
        action = item.get("action")
        args = (
            {k: v for k, v in action.items() if k != "sources"} if isinstance(action, dict) else {}
        )
        return tool_call("web_search", args, call_id, provider=True)
    if kind == "file_search_call":
        return tool_call("file_search", {"queries": item.get("queries")}, call_id, provider=True)
    if kind == "code_interpreter_call":
        return tool_call("code_interpreter", {"code": item.get("code")}, call_id, provider=True)
    if kind == "image_generation_call":
        prompt = item.get("revised_prompt")
        args = {"prompt": prompt} if isinstance(prompt, str) else {}
        return tool_call("image_generation", args, call_id, provider=True)
    return tool_call(_name(item, where), item.get("arguments"), call_id, provider=True)


def _client_call(kind: str, item: dict, where: str) -> dict:
    call_id = _call_id(item, "call_id", where)
    if kind == "function_call":
        return tool_call(_name(item, where), item.get("arguments"), call_id)
    if kind == "custom_tool_call":
        return tool_call(_name(item, where), {"input": item.get("input")}, call_id)
    args = {k: item[k] for k in ("action", "actions", "operation") if k in item}
    return tool_call(CLIENT_CALLS[kind], args, call_id)


class _Items:
    """Canonical messages assembled from Responses items, in order: assistant text and the
    tool calls after it form one assistant message; each tool output is a tool message."""

    def __init__(self, names: dict[str, str], notes: set[str]):
        self.names, self.notes = names, notes
        self.out: list[dict] = []
        self.texts: list[str] = []
        self.calls: list[dict] = []

    def flush(self) -> None:
        if self.texts or self.calls:
            text = "\n".join(self.texts) if self.texts else None
            self.out.append(message("assistant", text, self.calls))
        self.texts, self.calls = [], []

    def extend(self, messages: Iterable[dict]) -> _Items:
        self.flush()
        self.out.extend(messages)
        return self

    def feed(self, items: list, field: str) -> _Items:
        for i, item in enumerate(items):
            where = f"{field}[{i}]"
            if not isinstance(item, dict):
                raise BadRecord(where, "not an object")
            kind = _kind(item) or ("message" if "type" not in item else None)
            if kind == "message":
                self._message(item, where)
            elif kind in CLIENT_CALLS:
                call = _client_call(kind, item, where)
                if call["id"]:
                    self.names[call["id"]] = call["name"]
                self.calls.append(call)
            elif kind in CALL_OUTPUTS or kind == "mcp_approval_response":
                self._output(kind, item, where)
            elif kind in PROVIDER_CALLS:
                self._provider(kind, item, where)
            elif kind in UNRESOLVED_ITEMS:
                self.notes.add(PARTIAL_ITEM)
            elif kind not in SKIPPED_ITEMS:
                raise BadRecord(f"{where}.type", f"unsupported item {known_kind(kind)}")
        return self

    def done(self) -> list[dict]:
        self.flush()
        return self.out

    def _message(self, item: dict, where: str) -> None:
        role = role_of(item.get("role"), where)
        text, media = content_of(item.get("content"), f"{where}.content")
        if role == "assistant" and not media:
            if self.calls:
                self.flush()
            if text is not None:
                self.texts.append(text)
            return
        self.flush()
        self.out.append(message(role, text, media=media))

    def _output(self, kind: str, item: dict, where: str) -> None:
        self.flush()
        if kind == "mcp_approval_response":
            call_id = _call_id(item, "approval_request_id", where)
            decision = {k: item[k] for k in ("approve", "reason") if item.get(k) is not None}
            text, media = dumps(decision), []
        else:
            # a local shell output names its call by "id"
            key = "id" if kind == "local_shell_call_output" and "call_id" not in item else "call_id"
            call_id = _call_id(item, key, where)
            text, media = _result(item.get("output"), f"{where}.output")
        name = self.names.get(call_id) if call_id else None
        self.out.append(message("tool", text, tool_call_id=call_id, name=name, media=media))

    def _provider(self, kind: str, item: dict, where: str) -> None:
        call = _provider_call(kind, item, where)
        if call["id"]:
            self.names[call["id"]] = call["name"]
        self.calls.append(call)
        self.flush()
        result = _provider_result(kind, item, where)
        if result is not None:
            text, media = result
            self.out.append(
                message("tool", text, tool_call_id=call["id"], name=call["name"], media=media)
            )


def _input_items(raw: Any, field: str) -> list:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    if not isinstance(raw, list):
        raise BadRecord(field, "not a string or a list of items")
    return raw


def _output_items(response: dict, field: str) -> list:
    output = response.get("output")
    if not isinstance(output, list):
        raise BadRecord(field, "missing or not a list of items")
    return output


def _instructions(raw: Any, field: str, items: _Items) -> None:
    """``instructions``: a string (one system message) or a list of input items."""
    if isinstance(raw, list):
        items.feed(raw, field)
    else:
        text = text_of(raw, field)
        if text:
            items.extend([message("system", text)])


# --- tools --------------------------------------------------------------------------------


def _convert_tools(raw: Any, field: str) -> list[dict]:
    if not isinstance(raw, list):
        raise BadRecord(field, "not a list")
    out = []
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise BadRecord(where, "not an object")
        kind = item.get("type", "function")
        description = None
        if kind in ("function", "custom"):
            name, description = item.get("name"), item.get("description")
            params = item.get("parameters") if kind == "function" else CUSTOM_TOOL_PARAMETERS
        elif kind == "mcp":
            label = item.get("server_label")
            name, params = (f"mcp:{label}" if isinstance(label, str) else "mcp"), None
        elif isinstance(kind, str) and kind:
            name, params = kind, None  # a built-in tool: no parameters, named by its type
        else:
            raise BadRecord(f"{where}.type", "missing or not a string")
        try:
            out.append(tool(name, description, params))
        except BadRecord as exc:
            raise BadRecord(f"{where}.{exc.field.split('.')[-1]}", exc.reason) from None
    return SharedTools(out)


_TOOLS = Memo()


def _tools(raw: Any, field: str) -> list[dict]:
    return [] if raw is None else _TOOLS.get(raw, field, _convert_tools)


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
        inputs = _Items(names, notes).feed(_input_items(raw, field), field).done()
    raw, field = turn["output"]
    if not isinstance(raw, list):
        raise BadRecord(field, "missing or not a list of items")
    outputs = _Items(names, notes).feed(raw, field).done()
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
    if reason and not _output_items(response, _path(field, "output")):
        return reason
    if request is None:
        return "response without its request"
    if not isinstance(request, dict):
        raise BadRecord("request", "not an object")
    return None


def _prompt(request: dict, response: dict, table: dict, items: _Items, fields: tuple) -> list:
    """The messages before the answer: instructions, the chained history, then the input."""
    field, request_field = fields
    if request.get("instructions") is not None:
        _instructions(request["instructions"], _path(request_field, "instructions"), items)
    else:  # e.g. a prompt template's, which only the response echoes
        _instructions(response.get("instructions"), _path(field, "instructions"), items)
    prev, where = _previous(request, response), _path(request_field, "previous_response_id")
    items.extend(_history(prev, response.get("id"), table, items.notes, where))
    where = _path(request_field, "input")
    items.feed(_input_items(request.get("input"), where), where)
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
    prompt = _prompt(request, response, table, _Items(names, notes), (field, request_field))
    output = _output_items(response, _path(field, "output"))
    produced = _Items(names, notes).feed(output, _path(field, "output")).done()
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
        tools = _tools(request["tools"], _path(request_field, "tools"))
    else:  # the response echoes the tools it was given
        tools = _tools(response.get("tools"), _path(field, "tools"))
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
