"""What a call holds before the LLM answers, the same from a logged record or a live request.

A task is recognised from the request alone: the tools offered, the system prompt, the user
turns and, when known, the workload. Nothing of the response takes part, so a router can compute
the same view when a call arrives. Volatile text (numbers, ids, dates, emails, phone numbers,
URLs and `pii` placeholders such as ``<EMAIL_ADDRESS_1>``) is replaced by one token, so a raw
live request and its scrubbed logged record read alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from slmconvert.core.records import media_kind, render_media

WORKLOAD_HEADER = "x-slmconvert-workload"
VOLATILE = "#"

# order matters: placeholders and whole values first, then anything left holding a digit
_PATTERNS = (
    r"<[A-Z][A-Z0-9_]*?_\d+>",  # pii placeholders: <EMAIL_ADDRESS_1>, <PERSON_12>
    r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",  # emails
    r"\bhttps?://\S+",  # URLs
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",  # uuids
    r"\b\w*\d[\w-]*",  # any token holding a digit: 12, 2025-05-01, ORD-123, 3pm, v2
)
_VOLATILE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))
# a run of tokens with only punctuation between them is one value: (221) 381-4788, +1 2...
_RUNS = re.compile(r"[+(]*#(?:[\s().,:/+\-]*#)*\)?")
_SPACES = re.compile(r"\s+")


def normalise(text: str | None, max_chars: int = 400) -> str:
    """``text`` with volatile values replaced by ``#``, spaces collapsed, cut to ``max_chars``."""
    if not text:
        return ""
    text = _VOLATILE.sub(VOLATILE, text[: max_chars * 2])
    text = _RUNS.sub(VOLATILE, text)
    return _SPACES.sub(" ", text).strip()[:max_chars]


@lru_cache(maxsize=65_536)
def _normalise_repeated(text: str, max_chars: int) -> str:
    """`normalise` for texts that repeat across calls (system prompts, tool descriptions)."""
    return normalise(text, max_chars)


@dataclass(frozen=True)
class RequestView:
    """The request-time parts of one call, normalised."""

    tools: tuple[tuple[str, str], ...]  # (name, description) of each tool offered, by name
    system: str
    user: str  # the first user turn
    workload: str | None

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.tools)


def _text(msg: Mapping[str, Any]) -> str:
    """The text of a message: a canonical one's content after a placeholder per media part
    (``<image>``), or a live request's string or parts, rendered the same way."""
    content = msg.get("content")
    if "media" in msg:
        return render_media(msg) or ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p for p in content if isinstance(p, Mapping)]
        kinds = [kind for kind in (media_kind(p.get("type")) for p in parts) if kind]
        text = " ".join(p.get("text") or "" for p in parts if p.get("text"))
        return render_media({"content": text or None, "media": kinds}) or ""
    return ""


def _first(messages: list, role: str) -> str:
    roles = ("system", "developer") if role == "system" else (role,)
    for msg in messages:
        if isinstance(msg, Mapping) and msg.get("role") in roles:
            text = _text(msg)
            if text:
                return text
    return ""


def _tool(spec: Any) -> tuple[str, str] | None:
    """(name, description) of a canonical tool or an OpenAI ``{type: function, function}``."""
    if not isinstance(spec, Mapping):
        return None
    inner = spec.get("function") if isinstance(spec.get("function"), Mapping) else spec
    name = inner.get("name")
    if not isinstance(name, str) or not name:
        return None
    description = inner.get("description")
    return name, description if isinstance(description, str) else ""


def view(
    messages: list,
    tools: list | None,
    workload: str | None = None,
    max_chars: int = 400,
) -> RequestView:
    """The normalised request-time view of a call's messages, tools and workload."""
    found = {t[0]: t for t in map(_tool, tools or []) if t}
    return RequestView(
        tools=tuple((name, normalise(desc, max_chars)) for name, desc in sorted(found.values())),
        system=normalise(_first(messages, "system"), max_chars),
        user=normalise(_first(messages, "user"), max_chars),
        workload=workload or None,
    )


def of_record(record: Mapping[str, Any], max_chars: int = 400) -> RequestView:
    """The view of a canonical record (its response is never read)."""
    return view(
        record.get("messages") or [], record.get("tools"), record.get("workload"), max_chars
    )


def of_request(
    request: Mapping[str, Any], headers: Mapping[str, str] | None = None, max_chars: int = 400
) -> RequestView:
    """The view of an OpenAI-style chat request; the workload comes from the header or metadata."""
    workload = None
    if headers:
        lowered = {k.lower(): v for k, v in headers.items()}
        workload = lowered.get(WORKLOAD_HEADER)
    metadata = request.get("metadata")
    if not workload and isinstance(metadata, Mapping):
        workload = metadata.get("workload") or metadata.get("workload_id")
    return view(
        request.get("messages") or [],
        request.get("tools"),
        workload if isinstance(workload, str) else None,
        max_chars,
    )
