"""`sharegpt`: ShareGPT conversations, Hermes function calling and LLaMA-Factory's variant.

``{"conversations": [{"from", "value"}], "tools"?: "<JSON string>" | list, "system"?}`` (turns
keyed ``role``/``content`` are read too, but only under ``conversations``: a ``messages`` list
is openai-finetune's).

- Hermes: the system value may carry ``<tools>[schemas]</tools>`` (or one schema per line); gpt
  values carry ``<tool_call>{"name", "arguments"}</tool_call>`` blocks; tool values may be wrapped
  in ``<tool_response>...</tool_response>``. The tags become structured tools, tool calls and tool
  messages and are removed from the text. Bodies may be JSON or, as in NousResearch's own
  datasets, Python literals (single quotes).
- LLaMA-Factory: ``function_call`` turns hold ``{"name", "arguments"}`` (or a list of them) and
  ``observation`` turns hold tool results; ``tools`` is a JSON string column.

Consecutive assistant turns (text then function_call) merge into one message. Every assistant
message is one record whose prompt is all turns before it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

import orjson

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import message, tool_call
from slmconvert.formats.common import openai_tools
from slmconvert.formats.openai_finetune import records_per_turn
from slmconvert.formats.registry import ParseContext, Parser, register

ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "function_call": "function_call",
    "tool": "tool",
    "observation": "tool",
}
TOOLS_TAG = re.compile(r"[ \t]*<tools>(.*?)</tools>", re.S)
CALL_TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.S)
RESPONSE_TAG = re.compile(r"<tool_response>(.*?)(?:</tool_response>|\Z)", re.S)


def loads(text: str) -> Any:
    """Parse JSON, or a Python literal (Hermes datasets use single quotes); ValueError if neither."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ValueError("neither JSON nor a Python literal") from None


def _schemas(body: str, field: str) -> list:
    """Tool schemas in a ``<tools>`` body or a tools column: a list, one object, or one per line."""
    try:
        found = loads(body)
    except ValueError:
        try:
            found = [loads(line) for line in body.splitlines() if line.strip()]
        except ValueError:
            raise BadRecord(field, "tools are not valid JSON") from None
    return found if isinstance(found, list) else [found]


def _system(value: str, field: str, tools: list) -> str | None:
    """System text with its non-empty ``<tools>`` blocks moved into ``tools``."""
    for match in TOOLS_TAG.finditer(value):
        if match.group(1).strip():
            tools.extend(_schemas(match.group(1), field))
            value = value.replace(match.group(0), "")
    return value.strip() or None


def _calls(found: Any, field: str, what: str) -> list[dict]:
    items = found if isinstance(found, list) else [found]
    calls = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRecord(field, f"{what} is not an object")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise BadRecord(field, f"{what} has no name")
        calls.append(tool_call(name, item.get("arguments", item.get("parameters")), item.get("id")))
    return calls


def hermes_assistant(value: str, field: str) -> tuple[str | None, list[dict]]:
    """``(content, tool_calls)`` of a gpt value; text outside ``<tool_call>`` tags is content."""
    bodies = CALL_TAG.findall(value)
    if not bodies:
        return value, []
    calls = []
    for body in bodies:
        try:
            found = loads(body.strip())
        except ValueError:
            raise BadRecord(field, "tool_call is not valid JSON") from None
        calls.extend(_calls(found, field, "tool_call"))
    return CALL_TAG.sub("", value).strip() or None, calls


def function_call(value: Any, field: str) -> list[dict]:
    """Tool calls of a LLaMA-Factory ``function_call`` turn (JSON text, object or list)."""
    if isinstance(value, str):
        try:
            value = loads(value)
        except ValueError:
            raise BadRecord(field, "function_call is not valid JSON") from None
    return _calls(value, field, "function_call")


def tool_results(value: str, pending: list[str]) -> list[dict]:
    """Tool messages of a tool/observation turn: one per ``<tool_response>`` block (or the whole
    value). The tool name comes from the body's ``name`` or else the pending calls, in order."""
    bodies = [b.strip() for b in RESPONSE_TAG.findall(value)] or [value]
    out = []
    for body in bodies:
        name = pending.pop(0) if pending else None
        try:
            parsed = loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("name"), str):
            name = parsed["name"]
        out.append(message("tool", body, name=name))
    return out


def _turn(turn: Any, field: str) -> tuple[str, Any]:
    if not isinstance(turn, dict):
        raise BadRecord(field, "not an object")
    raw_role = turn.get("from", turn.get("role"))
    if raw_role not in ROLES:
        raise BadRecord(f"{field}.from", f"unsupported role; expected one of {', '.join(ROLES)}")
    role = ROLES[raw_role]
    value = turn.get("value", turn.get("content"))
    if role != "function_call" and not isinstance(value, str):
        raise BadRecord(f"{field}.value", "missing or not a string")
    return role, value


def _assistant(messages: list, fields: list, content: str | None, calls: list, where: str):
    """Append an assistant message, merging it into a directly preceding assistant message."""
    if messages and messages[-1]["role"] == "assistant":
        last = messages[-1]
        texts = [t for t in (last["content"], content) if t is not None]
        last["content"] = "\n".join(texts) if texts else None
        last["tool_calls"].extend(calls)
        fields[-1] = where
    else:
        messages.append(message("assistant", content, calls))
        fields.append(where)


def conversation(obj: dict) -> tuple[list[dict], list[str], list[dict]]:
    """``(messages, field of each message, tools)`` of a ShareGPT object."""
    turns = obj.get("conversations")
    if not isinstance(turns, list):
        raise BadRecord("conversations", "missing or not a list")
    raw_tools: list = []
    column = obj.get("tools")
    if isinstance(column, str) and column.strip():
        raw_tools.extend(_schemas(column, "tools"))
    elif isinstance(column, list):
        raw_tools.extend(column)
    elif column not in (None, ""):
        raise BadRecord("tools", "neither a JSON string nor a list")
    messages: list[dict] = []
    fields: list[str] = []
    if isinstance(obj.get("system"), str):
        text = _system(obj["system"], "system", raw_tools)
        if text:
            messages.append(message("system", text))
            fields.append("system")
    pending: list[str] = []
    for i, turn in enumerate(turns):
        where = f"conversations[{i}]"
        role, value = _turn(turn, where)
        if role == "assistant" or role == "function_call":
            if role == "assistant":
                content, calls = hermes_assistant(value, f"{where}.value")
            else:
                content, calls = None, function_call(value, f"{where}.value")
            _assistant(messages, fields, content, calls, where)
            pending = [call["name"] for call in messages[-1]["tool_calls"]]
            continue
        if role == "system":
            text = _system(value, f"{where}.value", raw_tools)
            new = [message("system", text)] if text else []
        elif role == "tool":
            new = tool_results(value, pending)
        else:
            new, pending = [message(role, value)], []
        messages.extend(new)
        fields.extend([where] * len(new))
    tools, seen = [], set()
    for item in openai_tools(raw_tools, "tools"):
        if item["name"] not in seen:
            seen.add(item["name"])
            tools.append(item)
    return messages, fields, tools


def sniff(obj: Any) -> bool:
    """A dict with a ``conversations`` list whose first turn has ``from`` (or ``role``)."""
    if not isinstance(obj, dict):
        return False
    turns = obj.get("conversations")
    return (
        isinstance(turns, list)
        and bool(turns)
        and isinstance(turns[0], dict)
        and ("from" in turns[0] or "role" in turns[0])
    )


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per assistant message (gpt or function_call turns, merged when consecutive)."""
    if not isinstance(obj, dict):
        raise BadRecord("conversations", "line is not an object")
    messages, fields, tools = conversation(obj)
    model = obj.get("model") if isinstance(obj.get("model"), str) else None
    yield from records_per_turn(messages, tools, ctx, fields, "conversations", model=model)


PARSER = register(
    Parser(
        name="sharegpt",
        description="ShareGPT / Hermes function calling / LLaMA-Factory conversations",
        sniff=sniff,
        parse=parse,
    )
)
