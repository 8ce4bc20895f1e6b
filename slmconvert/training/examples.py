"""Canonical records as chat-template conversations, and as token ids with answer-only labels.

A record's prompt (``messages``, ``tools``) and answer (``response``) are rendered with the
model's own chat template. Templates that do not render tools get the fallback format below,
which is also what `eval` parses for them:

* the tool definitions go into the system message, one JSON object per line inside
  ``<tools></tools>``, after the line ``# Tools``;
* an assistant tool call is written in its content as
  ``<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>`` (Hermes style);
* a tool result becomes a user turn ``<tool_response>\\n...\\n</tool_response>``.

Labels cover the final answer only: every prompt token (earlier assistant turns included) is
``-100``. When the template marks assistant text with ``{% generation %}``, text the template adds
after the answer (a trailing newline) is left out as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

IGNORE = -100
FALLBACK_HEADER = "# Tools\nYou may call these functions. Definitions, one per line:\n<tools>\n"
FALLBACK_FOOTER = (
    "\n</tools>\nTo call one, answer with "
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
)


def _arguments(text: str):
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text  # kept verbatim, as collect flagged it
    return value


def _parameters(text: str | None):
    if not text:
        return {"type": "object", "properties": {}}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"type": "object", "properties": {}}


def template_renders_tools(tokenizer) -> bool:
    """Whether the tokenizer's chat template renders tool definitions."""
    template = tokenizer.chat_template or ""
    if isinstance(template, dict):
        template = " ".join(template.values())
    return "tools" in template


def has_generation_markers(tokenizer) -> bool:
    """Whether the chat template marks assistant text with ``{% generation %}``."""
    template = tokenizer.chat_template or ""
    return "generation" in template and "endgeneration" in template


def _call_text(call: dict) -> str:
    args = _arguments(call["arguments"])
    body = {"name": call["name"], "arguments": args if isinstance(args, dict) else args}
    return "<tool_call>\n" + orjson.dumps(body).decode() + "\n</tool_call>"


def _message(msg: dict, native_tools: bool) -> dict:
    role, content = msg["role"], msg.get("content")
    calls = msg.get("tool_calls") or []
    if not native_tools:
        if role == "tool":
            return {
                "role": "user",
                "content": f"<tool_response>\n{content or ''}\n</tool_response>",
            }
        if calls:
            parts = ([content] if content else []) + [_call_text(c) for c in calls]
            return {"role": role, "content": "\n".join(parts)}
        return {"role": role, "content": content or ""}
    out: dict = {"role": role, "content": content}
    if calls:
        out["tool_calls"] = [
            {
                "id": c.get("id"),
                "type": "function",
                "function": {"name": c["name"], "arguments": _arguments(c["arguments"])},
            }
            for c in calls
        ]
    if role == "tool":
        if msg.get("tool_call_id"):
            out["tool_call_id"] = msg["tool_call_id"]
        if msg.get("name"):
            out["name"] = msg["name"]
    if out["content"] is None and not calls:
        out["content"] = ""
    return out


def _tool(spec: dict) -> dict:
    return {
        "type": "function",
        "function": {
            "name": spec["name"],
            "description": spec.get("description") or "",
            "parameters": _parameters(spec.get("parameters")),
        },
    }


def conversation(record: dict, native_tools: bool = True) -> tuple[list[dict], list[dict] | None]:
    """The record's prompt as chat messages and its tools, in the chat-template shape."""
    messages = [_message(m, native_tools) for m in record["messages"]]
    tools = [_tool(t) for t in (record.get("tools") or [])] or None
    if tools and not native_tools:
        block = "\n".join(orjson.dumps(t["function"]).decode() for t in tools)
        text = FALLBACK_HEADER + block + FALLBACK_FOOTER
        if messages and messages[0]["role"] == "system":
            messages[0] = {"role": "system", "content": f"{messages[0]['content']}\n\n{text}"}
        else:
            messages.insert(0, {"role": "system", "content": text})
        tools = None
    return messages, tools


def answer(record: dict, native_tools: bool = True) -> dict:
    """The record's logged response as an assistant chat message."""
    return _message({**record["response"], "role": "assistant"}, native_tools)


def render_prompt(tokenizer, record: dict, native_tools: bool | None = None) -> str:
    """The prompt text the model sees, ending where its answer starts."""
    if native_tools is None:
        native_tools = template_renders_tools(tokenizer)
    messages, tools = conversation(record, native_tools)
    return tokenizer.apply_chat_template(
        messages, tools=tools, add_generation_prompt=True, tokenize=False
    )


@dataclass
class Encoded:
    """One training example: token ids, labels (``-100`` outside the answer), what happened."""

    input_ids: list[int]
    labels: list[int]
    truncated: bool = False


def encode(
    tokenizer, record: dict, max_len: int, overflow: str = "drop", native_tools: bool | None = None
) -> Encoded | None:
    """Tokenise a record for training; ``None`` when it is over ``max_len`` and must be dropped."""
    if native_tools is None:
        native_tools = template_renders_tools(tokenizer)
    messages, tools = conversation(record, native_tools)
    full_messages = [*messages, answer(record, native_tools)]
    prompt = tokenizer.apply_chat_template(
        messages, tools=tools, add_generation_prompt=True, tokenize=False
    )
    full = tokenizer.apply_chat_template(full_messages, tools=tools, tokenize=False)
    start = len(prompt) if full.startswith(prompt) else _common_prefix(prompt, full)
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    keep = [s >= start and e > s for s, e in offsets]
    if has_generation_markers(tokenizer):
        marked = tokenizer.apply_chat_template(
            full_messages,
            tools=tools,
            tokenize=True,
            return_dict=True,
            return_assistant_tokens_mask=True,
        )["assistant_masks"]
        if len(marked) == len(ids):
            keep = [k and bool(m) for k, m in zip(keep, marked, strict=True)]
    labels = [i if k else IGNORE for i, k in zip(ids, keep, strict=True)]
    if len(ids) <= max_len:
        return Encoded(ids, labels)
    answer_len = len(ids) - next((n for n, k in enumerate(keep) if k), len(ids))
    if overflow == "drop" or answer_len >= max_len:
        return None
    return Encoded(ids[-max_len:], labels[-max_len:], truncated=True)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
