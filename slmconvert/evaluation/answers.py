"""What a model answered, in one shape for both the logged reference and a generated answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Kind = Literal["tool_calls", "text", "invalid"]


@dataclass(frozen=True)
class Call:
    """One tool call: the function name and its decoded arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """An answer: tool calls, plain text, or output that tried to call a tool and failed to parse.

    ``text`` is the prose outside any tool-call markup; ``error`` says why an answer is invalid
    (never quoting the answer itself).
    """

    kind: Kind
    calls: tuple[Call, ...] = ()
    text: str = ""
    error: str | None = None

    @property
    def valid(self) -> bool:
        """True unless the answer is invalid."""
        return self.kind != "invalid"


def text_answer(text: str) -> Answer:
    """A plain-text answer."""
    return Answer("text", text=text.strip())


def invalid_answer(error: str, text: str = "") -> Answer:
    """An answer whose tool-call markup did not parse; ``error`` must not quote the output."""
    return Answer("invalid", text=text.strip(), error=error)


def make_call(obj: Any, arguments_keys: tuple[str, ...] = ("arguments",)) -> Call | str:
    """A Call from a decoded JSON object, or the reason it is not one.

    The arguments are read from the first key of ``arguments_keys`` present; an argument value
    that is a JSON string holding an object is accepted too (some templates double-encode).
    Missing arguments mean a call without arguments.
    """
    if not isinstance(obj, dict):
        return "tool call is not a JSON object"
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        return "tool call has no name"
    arguments: Any = {}
    for key in arguments_keys:
        if key in obj:
            arguments = obj[key]
            break
    if isinstance(arguments, str):
        try:
            arguments = orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:
            return "tool call arguments are not JSON"
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return "tool call arguments are not a JSON object"
    return Call(name.strip(), arguments)


def reference_answer(response: Mapping[str, Any]) -> Answer:
    """The logged LLM response (a canonical record's ``response`` message) as an Answer."""
    content = response.get("content") or ""
    calls = []
    for raw in response.get("tool_calls") or []:
        try:
            arguments = orjson.loads(raw.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            return invalid_answer("logged tool call arguments are not JSON", content)
        call = make_call({"name": raw.get("name"), "arguments": arguments})
        if isinstance(call, str):
            return invalid_answer("logged " + call, content)
        calls.append(call)
    if calls:
        return Answer("tool_calls", calls=tuple(calls), text=content.strip())
    return text_answer(content)
