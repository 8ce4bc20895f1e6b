"""`openai-finetune`: OpenAI fine-tuning chat JSONL, one conversation per line.

``{"messages": [...], "tools"?: [...], "functions"?: [...], "parallel_tool_calls"?}``. Every
assistant turn is one LLM call whose prompt is all turns before it, so a conversation yields one
record per assistant turn. An assistant turn with ``"weight": 0`` is excluded from training by
OpenAI, so it gives no record here either (it still appears in later prompts).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import new_record
from slmconvert.formats.common import openai_messages, openai_tools
from slmconvert.formats.registry import Ignored, ParseContext, Parser, register

NOT_MINE = ("request", "response", "completion", "call_type", "custom_id", "input", "output")
"""Keys that mark another format's object (a request/response pair, litellm, a batch line)."""


def _copy(messages: list[dict]) -> list[dict]:
    """Copies of ``messages`` and their tool calls, the dicts new_record mutates (their strings
    are immutable and may be shared)."""
    return [{**m, "tool_calls": [dict(c) for c in m["tool_calls"]]} for m in messages]


def records_per_turn(
    messages: list[dict],
    tools: list[dict],
    ctx: ParseContext,
    fields: Sequence[str],
    field: str,
    skip: Sequence[int] = (),
    **extra: Any,
) -> Iterator[Any]:
    """One record per assistant message, its prompt being every message before it.

    ``fields[i]`` names message ``i`` in errors; ``field`` names the whole list. Indices in
    ``skip`` give no record. An assistant message with nothing before it gives no record.
    Raises BadRecord when there is no assistant message at all.
    """
    turns = [i for i, msg in enumerate(messages) if msg["role"] == "assistant"]
    if not turns:
        raise BadRecord(field, "no assistant turn")
    kept = [i for i in turns if i not in skip]
    if not kept:
        yield Ignored("every assistant turn has weight 0")
        return
    if kept == [0]:
        raise BadRecord(fields[0], "assistant turn with no prompt before it")
    for i in kept:
        if i == 0:
            continue
        try:
            yield new_record(
                source=ctx.source,
                messages=_copy(messages[:i]),
                response=_copy(messages[i : i + 1])[0],
                tools=tools,
                **extra,
            )
        except BadRecord as exc:
            raise BadRecord(fields[i], exc.reason) from None


def sniff(obj: Any) -> bool:
    """A dict with a non-empty top-level ``messages`` list of role-keyed turns, and no keys that
    mark a request/response pair, a litellm payload or a batch line."""
    if not isinstance(obj, dict) or any(key in obj for key in NOT_MINE):
        return False
    msgs = obj.get("messages")
    return isinstance(msgs, list) and bool(msgs) and isinstance(msgs[0], dict) and "role" in msgs[0]


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per assistant turn of a fine-tuning conversation."""
    if not isinstance(obj, dict):
        raise BadRecord("messages", "line is not an object")
    raw = obj.get("messages")
    messages = openai_messages(raw, "messages")
    if "tools" in obj:
        tools = openai_tools(obj.get("tools"), "tools")
    else:
        tools = openai_tools(obj.get("functions"), "functions")
    skip = [i for i, m in enumerate(raw) if isinstance(m, dict) and m.get("weight") == 0]
    fields = [f"messages[{i}]" for i in range(len(messages))]
    yield from records_per_turn(messages, tools, ctx, fields, "messages", skip)


PARSER = register(
    Parser(
        name="openai-finetune",
        description="OpenAI fine-tuning chat JSONL (one record per assistant turn)",
        sniff=sniff,
        parse=parse,
    )
)
