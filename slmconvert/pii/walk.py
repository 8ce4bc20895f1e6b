"""Walk every string a canonical record holds, as slots that can be analysed and rewritten.

``record_slots(record)`` copies the record (messages, tool calls, tools and response are new
dicts, so writing a slot never touches the input) and lists its slots in a fixed order:
messages (content, then the participant name, then each tool call's arguments), then tools
(description, then parameter schema), then the response. JSON strings (tool-call arguments,
tool results, parameter schemas) are parsed and walked with sorted keys; each string value, and
each integer of 7 digits or more, is a slot. A JSON value is analysed as ``"<key words>: value"``
so that the key gives Presidio context (``phone: 4155550132``); only findings in the value count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from slmconvert.core.records import dumps

BIG_INT = 10**6
"""Integers with 7 digits or more are analysed as text (phones stored as numbers)."""

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_KEY_SEP = re.compile(r"[^A-Za-z0-9]+")
_ROLE_LOCATION = {"system": "system", "user": "user", "assistant": "assistant", "tool": "results"}


class JsonDoc:
    """A JSON string field of a record, parsed only if one of its values is replaced."""

    __slots__ = ("target", "field", "source", "root")

    def __init__(self, target: dict, field: str, source: str):
        self.target = target
        self.field = field
        self.source = source
        self.root: list | None = None

    def set(self, path: tuple, value: str) -> None:
        """Replace the value at ``path`` (from the document root) with ``value``."""
        if self.root is None:
            self.root = [orjson.loads(self.source)]
        node: Any = self.root
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    def finish(self) -> None:
        """Write the document back (sorted keys, compact) when something in it changed."""
        if self.root is not None:
            self.target[self.field] = dumps(self.root[0])


@dataclass(slots=True)
class Slot:
    """One string (or big integer) of a record: what is analysed and where to write it back.

    ``text`` is the analysed text, ``offset`` where the value starts in it (after the key
    prefix). A plain field is ``holder[key]``; a JSON value is at path ``key`` in ``doc``.
    """

    text: str
    offset: int
    location: str
    holder: Any
    key: Any
    doc: JsonDoc | None = None
    is_int: bool = False

    @property
    def value(self) -> str:
        """The string itself, without the key prefix."""
        return self.text[self.offset :]

    def write(self, value: str) -> None:
        """Store the scrubbed value back into the record copy."""
        if self.doc is not None:
            self.doc.set(self.key, value)
        else:
            self.holder[self.key] = value


@lru_cache(maxsize=8192)
def key_prefix(key: str | None) -> str:
    """``"phoneNumber"`` -> ``"phone number: "``; empty for no key or an odd one."""
    if not key or len(key) > 48:
        return ""
    words = _KEY_SEP.sub(" ", _CAMEL.sub(" ", key)).strip().lower()
    return f"{words}: " if words else ""


Template = tuple[tuple[tuple, str, int, bool], ...]
_TEMPLATES: dict[str, Template | None] = {}
_TEMPLATES_MAX = 200_000


def json_template(text: str) -> Template | None:
    """The slots of a JSON document as ``(path, text, offset, is_int)``; None if not JSON.

    Cached by the document's text: agent logs re-send the same results and arguments with
    every later call of a session.
    """
    cached = _TEMPLATES.get(text, False)
    if cached is not False:
        return cached
    stripped = text.lstrip()
    template = None
    if stripped and stripped[0] in "{[":
        try:
            template = _walk_json(orjson.loads(text))
        except orjson.JSONDecodeError:
            template = None
    if len(_TEMPLATES) >= _TEMPLATES_MAX:
        _TEMPLATES.clear()
    _TEMPLATES[text] = template
    return template


def _walk_json(root: Any) -> Template:
    out = []
    stack: list[tuple[Any, tuple, str | None]] = [(root, (0,), None)]
    while stack:
        node, path, name = stack.pop()
        if isinstance(node, dict):
            for k in sorted(node, reverse=True):
                stack.append((node[k], (*path, k), k))
        elif isinstance(node, list):
            for i in range(len(node) - 1, -1, -1):
                stack.append((node[i], (*path, i), name))
        elif isinstance(node, str):
            if node:
                prefix = key_prefix(name)
                out.append((path, prefix + node, len(prefix), False))
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) >= BIG_INT:
            prefix = key_prefix(name)
            out.append((path, prefix + str(node), len(prefix), True))
    return tuple(out)


def _text_slot(target: dict, field: str, location: str, slots: list[Slot]) -> None:
    value = target.get(field)
    if isinstance(value, str) and value:
        slots.append(Slot(value, 0, location, target, field))


def _json_or_text(target: dict, field: str, location: str, slots: list, docs: list) -> None:
    value = target.get(field)
    if not isinstance(value, str) or not value:
        return
    template = json_template(value)
    if template is None:
        slots.append(Slot(value, 0, location, target, field))
        return
    doc = JsonDoc(target, field, value)
    docs.append(doc)
    for path, text, offset, is_int in template:
        slots.append(Slot(text, offset, location, None, path, doc, is_int))


def _message(msg: dict, slots: list[Slot], docs: list[JsonDoc]) -> dict:
    msg = dict(msg)
    role = msg.get("role")
    location = _ROLE_LOCATION.get(role, "user")
    if role == "tool":
        _json_or_text(msg, "content", location, slots, docs)
    else:
        _text_slot(msg, "content", location, slots)
        _text_slot(msg, "name", location, slots)
    calls = []
    for call in msg.get("tool_calls") or []:
        call = dict(call)
        _json_or_text(call, "arguments", "arguments", slots, docs)
        calls.append(call)
    msg["tool_calls"] = calls
    return msg


def record_slots(record: dict) -> tuple[dict, list[Slot], list[JsonDoc]]:
    """A writable copy of ``record``, its slots in walk order, and its JSON documents."""
    slots: list[Slot] = []
    docs: list[JsonDoc] = []
    out = dict(record)
    out["messages"] = [_message(m, slots, docs) for m in record.get("messages") or []]
    tools = []
    for tool in record.get("tools") or []:
        tool = dict(tool)
        _text_slot(tool, "description", "tool_descriptions", slots)
        _json_or_text(tool, "parameters", "tool_descriptions", slots, docs)
        tools.append(tool)
    out["tools"] = tools
    if record.get("response") is not None:
        out["response"] = _message(record["response"], slots, docs)
    return out, slots, docs
