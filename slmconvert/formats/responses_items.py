"""Responses API items as canonical messages, tool calls and tools (no parser here).

The ``openai-responses`` parser (`openai_responses`) builds its prompts and answers with these
converters; nothing here registers a parser. A request's ``input`` is a string or a list of items:
messages (with or without ``"type": "message"``), ``function_call`` / ``function_call_output`` and
the other tool items, and ``reasoning`` items (skipped); ``instructions`` becomes the first, system
message. A response's ``output`` items give the answer: assistant text and client tool calls; tools
the provider ran on the way (``web_search_call``, ``file_search_call``, ``code_interpreter_call``,
``image_generation_call``, ``mcp_call``) are kept as calls with ``provider`` set, followed by a tool
message with their result when the item holds one. A request's ``tools`` become canonical tool
definitions (a built-in tool is named by its type, with no parameters). ``field`` arguments are
paths for error messages, never values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import SharedTools, dumps, message, tool_call
from slmconvert.formats.common import (
    MEDIA_PART_TYPES,
    TEXT_PART_TYPES,
    Memo,
    content_of,
    known_kind,
    role_of,
    text_of,
    tool_at,
)

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


# --- items --------------------------------------------------------------------------------


def item_kind(node: Any) -> str | None:
    """The ``type`` of an item or part when it is a string (a value from the log may be
    anything, even unhashable)."""
    kind = node.get("type") if isinstance(node, dict) else None
    return kind if isinstance(kind, str) else None


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
            kind = item_kind(node)
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
    if item_kind(output) in SCREENSHOTS:
        return "", ["image"]
    if isinstance(output, list) and all(item_kind(p) in CONTENT_PARTS for p in output):
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
        logs = [o.get("logs") for o in outputs if item_kind(o) == "logs"]
        media = ["image" for o in outputs if item_kind(o) == "image"]
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


class Items:
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

    def extend(self, messages: Iterable[dict]) -> Items:
        self.flush()
        self.out.extend(messages)
        return self

    def feed(self, items: list, field: str) -> Items:
        for i, item in enumerate(items):
            where = f"{field}[{i}]"
            if not isinstance(item, dict):
                raise BadRecord(where, "not an object")
            kind = item_kind(item) or ("message" if "type" not in item else None)
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


def input_items(raw: Any, field: str) -> list:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    if not isinstance(raw, list):
        raise BadRecord(field, "not a string or a list of items")
    return raw


def output_items(response: dict, field: str) -> list:
    output = response.get("output")
    if not isinstance(output, list):
        raise BadRecord(field, "missing or not a list of items")
    return output


def add_instructions(raw: Any, field: str, items: Items) -> None:
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
        out.append(tool_at(where, name, description, params))
    return SharedTools(out)


_TOOLS = Memo()


def tools_of(raw: Any, field: str) -> list[dict]:
    return [] if raw is None else _TOOLS.get(raw, field, _convert_tools)
