"""Reshape canonical messages for a template family: ids, one call per turn, alternation.

Each function takes and returns canonical messages (``records`` shape: ``tool_calls`` with
``id``/``name``/``arguments``, ``tool`` turns with ``tool_call_id``) and never changes what was
said, only how it is laid out:

- ``adapt`` rewrites tool-call ids to the family's fixed length (consistently in the calls and
  their results) and splits an earlier turn's parallel calls into one turn per call, each
  followed by its own result;
- ``adapt_answer`` does the same to the answer, which cannot be split: an answer with more
  calls than the family allows raises ``Skip``;
- ``merge_runs`` joins consecutive user (or assistant) turns for templates that demand
  alternation; ``with_system`` adds text to the system message.
"""

from __future__ import annotations

import hashlib
import string

from slmconvert.training.templates import TemplateProfile

_ALNUM = string.ascii_letters + string.digits


class Skip(Exception):
    """A record this family's template cannot hold; the message is a fixed reason."""


def short_id(original: str | None, position: int, length: int) -> str:
    """A stable id of ``length`` letters and digits for the call at ``position``."""
    digest = hashlib.blake2b(f"{original}|{position}".encode(), digest_size=16).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:length])


def _id_map(messages: list[dict], response: dict | None, length: int) -> dict[str, str]:
    mapping: dict[str, str] = {}
    position = 0
    for msg in [*messages, *([response] if response else [])]:
        for call in msg.get("tool_calls") or []:
            key = call.get("id") or f"#{position}"
            mapping.setdefault(key, short_id(call.get("id"), position, length))
            position += 1
    return mapping


def _with_ids(messages: list[dict], mapping: dict[str, str]) -> list[dict]:
    out, pending, position = [], [], 0
    for msg in messages:
        msg = dict(msg)
        calls = []
        for call in msg.get("tool_calls") or []:
            new = mapping[call.get("id") or f"#{position}"]
            calls.append({**call, "id": new})
            pending.append(new)
            position += 1
        if calls:
            msg["tool_calls"] = calls
        if msg["role"] == "tool":
            given = mapping.get(msg.get("tool_call_id") or "")
            msg["tool_call_id"] = given or (pending[0] if pending else None)
            if msg["tool_call_id"] in pending:
                pending.remove(msg["tool_call_id"])
        out.append(msg)
    return out


def _split_parallel(messages: list[dict], limit: int) -> list[dict]:
    out, i = [], 0
    while i < len(messages):
        msg = messages[i]
        calls = msg.get("tool_calls") or []
        if msg["role"] != "assistant" or len(calls) <= limit:
            out.append(msg)
            i += 1
            continue
        results = []
        j = i + 1
        while j < len(messages) and messages[j]["role"] == "tool":
            results.append(messages[j])
            j += 1
        by_id = {r.get("tool_call_id"): r for r in results}
        ordered = [by_id.get(c.get("id")) for c in calls]
        if None in ordered:
            ordered = results if len(results) == len(calls) else None
        if ordered is None:
            raise Skip("an earlier turn has parallel tool calls without one result each")
        for k, (call, result) in enumerate(zip(calls, ordered, strict=True)):
            out.append({**msg, "content": msg.get("content") if k == 0 else None,
                        "tool_calls": [call]})  # fmt: skip
            out.append(result)
        i = j
    return out


def adapt(messages: list[dict], response: dict | None, profile: TemplateProfile) -> list[dict]:
    """The prompt's messages laid out for ``profile`` (ids, one call per turn)."""
    if profile.call_id_length:
        messages = _with_ids(messages, _id_map(messages, response, profile.call_id_length))
    if profile.max_calls:
        messages = _split_parallel(messages, profile.max_calls)
    return messages


def adapt_answer(response: dict, messages: list[dict], profile: TemplateProfile) -> dict:
    """The answer laid out for ``profile``; ``Skip`` when it holds more calls than allowed."""
    calls = response.get("tool_calls") or []
    if profile.max_calls and len(calls) > profile.max_calls:
        raise Skip(f"the answer makes parallel tool calls; {profile.name} allows one per turn")
    if profile.call_id_length and calls:
        mapping = _id_map(messages, response, profile.call_id_length)
        before = sum(len(m.get("tool_calls") or []) for m in messages)
        response = {
            **response,
            "tool_calls": [
                {**c, "id": mapping[c.get("id") or f"#{before + k}"]} for k, c in enumerate(calls)
            ],
        }
    return response


def merge_runs(messages: list[dict]) -> list[dict]:
    """Consecutive plain user (or assistant) turns joined into one, blank line between."""
    out: list[dict] = []
    for msg in messages:
        prev = out[-1] if out else None
        plain = msg["role"] in ("user", "assistant") and not msg.get("tool_calls")
        if prev and plain and prev["role"] == msg["role"] and not prev.get("tool_calls"):
            out[-1] = {
                **prev,
                "content": f"{prev.get('content') or ''}\n\n{msg.get('content') or ''}",
            }
        else:
            out.append(msg)
    return out


def check_alternation(messages: list[dict]) -> None:
    """``Skip`` unless the turns a strict template counts go user, assistant, user, ...

    Tool results and assistant turns holding native tool calls are not counted (Mistral
    skips them)."""
    counted = [
        m["role"]
        for m in messages
        if m["role"] in ("user", "assistant") and not m.get("tool_calls")
    ]
    for i, role in enumerate(counted):
        if role != ("user" if i % 2 == 0 else "assistant"):
            raise Skip("turns do not alternate user/assistant, as this template requires")


def with_system(messages: list[dict], text: str) -> list[dict]:
    """``messages`` whose system message (added when missing) ends with ``text``."""
    if messages and messages[0]["role"] == "system":
        first = messages[0]
        content = first.get("content") or ""
        joined = f"{content}\n\n{text}" if content and text else content or text
        return [{**first, "content": joined}, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]
