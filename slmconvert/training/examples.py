"""Canonical records as chat-template conversations, and as token ids with answer-only labels.

A record's prompt (``messages``, ``tools``) and answer (``response``) are rendered with the
model's own chat template, shaped for its family first (``templates.TemplateProfile``:
tools in the system message, one call per turn, 9-character ids, thinking off, ...).
Templates that do not render tools get the fallback format below, which is also what `eval`
parses for them:

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

from slmconvert.core.errors import StageError
from slmconvert.core.records import render_media
from slmconvert.training import shaping
from slmconvert.training.shaping import Skip  # noqa: F401 - raised from here for callers
from slmconvert.training.templates import PROFILES, TemplateProfile, profile_for, template_text

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


def has_generation_markers(tokenizer) -> bool:
    """Whether the chat template marks assistant text with ``{% generation %}``."""
    template = template_text(tokenizer)
    return "generation" in template and "endgeneration" in template


class TemplateFailure(Exception):
    """The chat template raised on a record (its message is the template's own text)."""

    def stage_error(self, model: str, record: dict, hint: str | None = None) -> StageError:
        """One line naming the model and the record's file:line, for the stage to raise."""
        src = record.get("source") or {}
        return StageError(
            f"model {model}: its chat template failed on {src.get('file')}:{src.get('line')} "
            f"({self})",
            hint,
        )


def _call_body(call: dict) -> dict:
    return {"name": call["name"], "arguments": _arguments(call["arguments"])}


def _call_text(call: dict) -> str:
    return "<tool_call>\n" + orjson.dumps(_call_body(call)).decode() + "\n</tool_call>"


def _calls_text(content: str | None, calls: list[dict], fmt: str) -> str:
    """Calls written into an assistant turn's text: Phi-4-mini's one ``<|tool_call|>`` list,
    else one Hermes ``<tool_call>`` block per call."""
    if fmt == "phi4":
        listed = "<|tool_call|>" + orjson.dumps([_call_body(c) for c in calls]).decode()
        parts = [listed + "<|/tool_call|>"]
    else:
        parts = [_call_text(c) for c in calls]
    return "\n".join(([content] if content else []) + parts)


def _message(msg: dict, profile: TemplateProfile) -> dict:
    role, content = msg["role"], render_media(msg)
    calls = msg.get("tool_calls") or []
    if profile.calls != "native":
        if role == "tool" and profile.tools == "text":
            return {
                "role": "user",
                "content": f"<tool_response>\n{content or ''}\n</tool_response>",
            }
        if calls:
            return {"role": role, "content": _calls_text(content, calls, profile.calls)}
        return {"role": role, "content": content or ""}
    out: dict = {"role": role, "content": content or ""}
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


def conversation(
    record: dict, profile: TemplateProfile | str | None = None
) -> tuple[list[dict], list[dict] | None, dict]:
    """The record's prompt as chat messages, tools and template kwargs, shaped for the
    template family ``profile`` (a profile or its name; None = Hermes). Raises ``Skip`` when
    the template cannot hold the record."""
    profile = _as_profile(profile)
    history = shaping.adapt(record["messages"], record.get("response"), profile)
    messages = [_message(m, profile) for m in history]
    if profile.alternate:
        messages = shaping.merge_runs(messages)
        shaping.check_alternation(messages)
    tools = [_tool(t) for t in (record.get("tools") or [])] or None
    kwargs = dict(profile.kwargs)
    if tools and profile.tools == "text":
        block = "\n".join(orjson.dumps(t["function"]).decode() for t in tools)
        messages = shaping.with_system(messages, FALLBACK_HEADER + block + FALLBACK_FOOTER)
        tools = None
    elif tools and profile.tools == "system_field":
        messages = shaping.with_system(messages, "")
        functions = [t["function"] for t in tools]
        messages[0] = {**messages[0], "tools": orjson.dumps(functions).decode()}
        tools = None
    elif tools and profile.tools == "xml_tools":
        kwargs["xml_tools"], tools = tools, None
    if profile.system_suffix:
        messages = shaping.with_system(messages, profile.system_suffix)
    return messages, tools, kwargs


def answer(record: dict, profile: TemplateProfile | str | None = None) -> dict:
    """The record's logged response as an assistant chat message for ``profile``."""
    profile = _as_profile(profile)
    response = shaping.adapt_answer(record["response"], record["messages"], profile)
    return _message({**response, "role": "assistant"}, profile)


def _as_profile(profile: TemplateProfile | str | None) -> TemplateProfile:
    if isinstance(profile, TemplateProfile):
        return profile
    return PROFILES[profile or "hermes"]


def _apply(tokenizer, messages, tools, kwargs, **options):
    try:
        return tokenizer.apply_chat_template(messages, tools=tools, **kwargs, **options)
    except Exception as exc:  # jinja2 TemplateError, or a TypeError inside the template
        raise TemplateFailure(f"{type(exc).__name__}: {str(exc)[:120]}") from None


def render_prompt(tokenizer, record: dict, profile=None) -> str:
    """The prompt text the model sees, ending where its answer starts (``profile`` as in
    ``conversation``; None: the tokenizer's own family)."""
    if profile is None:
        profile = profile_for(tokenizer)
    messages, tools, kwargs = conversation(record, profile)
    return _apply(tokenizer, messages, tools, kwargs, add_generation_prompt=True, tokenize=False)


@dataclass
class Encoded:
    """One training example: token ids, labels (``-100`` outside the answer), what happened."""

    input_ids: list[int]
    labels: list[int]
    truncated: bool = False


def encode(
    tokenizer, record: dict, max_len: int, overflow: str = "drop", profile=None
) -> Encoded | None:
    """Tokenise a record for training; ``None`` when it is over ``max_len`` and must be dropped.

    Raises ``Skip`` when the family's template cannot hold the record, ``TemplateFailure``
    when the template raises."""
    if profile is None:
        profile = profile_for(tokenizer)
    messages, tools, kwargs = conversation(record, profile)
    full_messages = [*messages, answer(record, profile)]
    prompt = _apply(tokenizer, messages, tools, kwargs, add_generation_prompt=True, tokenize=False)
    full = _apply(tokenizer, full_messages, tools, kwargs, tokenize=False)
    start = len(prompt) if full.startswith(prompt) else _common_prefix(prompt, full)
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    keep = [s >= start and e > s for s, e in offsets]
    if has_generation_markers(tokenizer):
        marked = _apply(
            tokenizer, full_messages, tools, kwargs,
            tokenize=True, return_dict=True, return_assistant_tokens_mask=True,
        )["assistant_masks"]  # fmt: skip
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
