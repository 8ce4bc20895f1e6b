"""The task signature of a call: the text that says what kind of task the LLM was doing.

By default it holds the kind of answer (which tool was called, or text, or JSON), the tool names
offered, the system prompt and the first user turn. Each part is embedded on its own and the
signature vector is the concatenation of the normalised part vectors, scaled to unit length: the
cosine similarity of two calls is then the mean similarity of their parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slmconvert.records import answer_kind

PARTS = ("answer_kind", "answer_tool", "tools", "system", "first_user", "last_user")
DEFAULT_PARTS = ("answer_kind", "tools", "system", "first_user")


def _first(messages: list[Mapping[str, Any]], role: str) -> str:
    for msg in messages:
        if msg["role"] == role and msg.get("content"):
            return msg["content"]
    return ""


def _last(messages: list[Mapping[str, Any]], role: str) -> str:
    for msg in reversed(messages):
        if msg["role"] == role and msg.get("content"):
            return msg["content"]
    return ""


def signature(
    record: Mapping[str, Any], parts: tuple[str, ...] = DEFAULT_PARTS, max_chars: int = 400
) -> str:
    """The signature text of one record, built from ``parts`` (each cut to ``max_chars``)."""
    return "\n".join(signature_parts(record, parts, max_chars))


def signature_parts(
    record: Mapping[str, Any], parts: tuple[str, ...] = DEFAULT_PARTS, max_chars: int = 400
) -> list[str]:
    """The texts of a record's signature parts, in ``parts`` order (each cut to ``max_chars``).

    Parts are embedded separately: system prompts and tool lists repeat across thousands of
    calls, so each distinct part text is embedded once.
    """
    messages = record["messages"]
    pieces = []
    for part in parts:
        if part == "answer_kind":
            # the tool chosen is left out on purpose: for a router, choosing it IS the task,
            # and one cluster per chosen tool would train each SLM on a single answer
            kind = answer_kind(record["response"])
            text = "answer: " + ("tool call" if kind.startswith("tool:") else kind)
        elif part == "answer_tool":
            text = "answer: " + answer_kind(record["response"]).replace("tool:", "tool call ")
        elif part == "tools":
            names = sorted(t["name"] for t in record.get("tools") or [])
            text = "tools: " + (", ".join(names) if names else "none")
        elif part == "system":
            text = "system: " + _first(messages, "system")
        elif part == "first_user":
            text = "user: " + _first(messages, "user")
        elif part == "last_user":
            text = "last user: " + _last(messages, "user")
        else:  # validated by the config; kept as a guard for library use
            raise ValueError(f"unknown signature part {part!r}; choose from {', '.join(PARTS)}")
        pieces.append(text[:max_chars])
    return pieces
