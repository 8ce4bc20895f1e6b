"""Converters shared by several formats: OpenAI-shaped and Anthropic-shaped chat payloads.

Many loggers (Data Flywheel, the Batch API, LiteLLM, LangSmith, Langfuse) wrap OpenAI chat
payloads; LangSmith may also hold Anthropic ones. Each converter takes the raw object and a
``field`` path used only in error messages (never a value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import (  # media_kind is re-exported for the parsers
    MEDIA_PART_TYPES,
    SharedTools,
    media_kind,  # noqa: F401
    message,
    tool,
    tool_call,
)

TEXT_PART_TYPES = {"text", "input_text", "output_text"}

ROLE_ALIASES = {"developer": "system", "function": "tool", "human": "user", "ai": "assistant"}


def require(obj: Any, key: str, field: str, kind: type | tuple = dict) -> Any:
    """``obj[key]``, checked to be of ``kind``; raises BadRecord naming ``field.key``."""
    if not isinstance(obj, dict):
        raise BadRecord(field, "not an object")
    if key not in obj or obj[key] is None:
        raise BadRecord(f"{field}.{key}", "missing")
    value = obj[key]
    if not isinstance(value, kind):
        raise BadRecord(f"{field}.{key}", f"wrong type ({type(value).__name__})")
    return value


# kinds an error may name: a value read from the log is never quoted (it could be personal data)
KNOWN_KINDS = frozenset({
    "image", "image_url", "input_image", "input_audio", "audio", "file", "input_file",
    "document", "video", "refusal", "server_tool_use", "web_search_tool_result",
    "code_execution_tool_result", "mcp_tool_use", "mcp_tool_result", "container_upload",
    "search_result", "web_fetch_tool_result", "bash_code_execution_tool_result",
})  # fmt: skip


def known_kind(kind: Any) -> str:
    """A content kind as an error may show it: its name if it is a known one, else a phrase."""
    return f"'{kind}'" if isinstance(kind, str) and kind in KNOWN_KINDS else "of an unknown kind"


def mime_kind(mime: Any) -> str:
    """The media kind of a MIME type: ``image/png`` → image, ...; anything else is a file."""
    major = mime.split("/", 1)[0] if isinstance(mime, str) else ""
    return major if major in ("image", "audio", "video") else "file"


def content_of(content: Any, field: str) -> tuple[str | None, list[str]]:
    """``(text, media)`` of a content value (null, a string, or a list of parts/blocks): the
    text parts joined, and the kind of each image/audio/video/file part, in order."""
    if content is None or isinstance(content, str):
        return content, []
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        raise BadRecord(field, f"wrong type ({type(content).__name__})")
    texts, media = [], []
    for i, part in enumerate(content):
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            raise BadRecord(f"{field}[{i}]", "not an object")
        kind = part.get("type", "text")
        if not isinstance(kind, str):
            raise BadRecord(f"{field}[{i}].type", "not a string")
        if kind in TEXT_PART_TYPES:
            text = part.get("text", part.get("content"))
            if not isinstance(text, str):
                raise BadRecord(f"{field}[{i}].text", "missing or not a string")
            texts.append(text)
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            texts.append(part["refusal"])
        elif kind in MEDIA_PART_TYPES:
            media.append(MEDIA_PART_TYPES[kind])
        else:
            raise BadRecord(f"{field}[{i}].type", f"unsupported content part {known_kind(kind)}")
    return ("\n".join(texts) if texts else None), media


def text_of(content: Any, field: str) -> str | None:
    """Plain text of a content value, for places that hold text only (instructions, a
    generation's text); a media part there is dropped."""
    return content_of(content, field)[0]


def role_of(raw: Any, owner: str) -> str:
    """Canonical role for a raw role name (developer→system, function→tool, ...).

    ``owner`` names the message; an error names ``owner.role`` (built only then, as this
    runs for nearly every message of every log)."""
    if not isinstance(raw, str):
        raise BadRecord(f"{owner}.role", "missing or not a string")
    return ROLE_ALIASES.get(raw, raw)


class Memo:
    """A bounded cache of converted values keyed by their raw JSON bytes.

    Agent logs repeat the same tool list and system prompt in nearly every line, so converting
    each distinct one once saves most of the parse time. Cached results are shared between
    records: callers must not mutate them.
    """

    def __init__(self, size: int = 512):
        self.size = size
        self._store: dict[tuple[bytes, str], Any] = {}

    def get(self, raw: Any, field: str, convert: Callable[[Any, str], Any]) -> Any:
        try:
            key = (orjson.dumps(raw), field)
        except TypeError:
            return convert(raw, field)
        hit = self._store.get(key)
        if hit is None:
            hit = convert(raw, field)
            if len(self._store) >= self.size:
                self._store.clear()
            self._store[key] = hit
        return hit


_TOOLS = Memo()
_PLAIN_MESSAGES = Memo()


# --- OpenAI chat completions ------------------------------------------------------------


def openai_tool_calls(calls: Any, field: str) -> list[dict]:
    """Canonical tool calls from ``[{"id","type","function":{"name","arguments"}}]``."""
    if calls is None:
        return []
    if not isinstance(calls, list):
        raise BadRecord(field, "not a list")
    out = []
    for i, call in enumerate(calls):
        where = f"{field}[{i}]"
        if not isinstance(call, dict):
            raise BadRecord(where, "not an object")
        fn = call.get("function", call)
        if not isinstance(fn, dict):
            raise BadRecord(f"{where}.function", "not an object")
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            raise BadRecord(f"{where}.function.name", "missing or not a string")
        out.append(tool_call(name, fn.get("arguments"), call.get("id")))
    return out


def openai_message(raw: Any, field: str) -> dict:
    """Canonical message from an OpenAI chat message (incl. legacy ``function_call``)."""
    if not isinstance(raw, dict):
        raise BadRecord(field, "not an object")
    # error paths are built only on error: this runs for nearly every message of every log
    role = role_of(raw.get("role"), field)
    calls = raw.get("tool_calls")
    calls = [] if calls is None else openai_tool_calls(calls, f"{field}.tool_calls")
    legacy = raw.get("function_call")
    if isinstance(legacy, dict):
        calls.append(tool_call(legacy.get("name"), legacy.get("arguments")))
    content, media = raw.get("content"), None
    if content is not None and type(content) is not str:
        content, media = content_of(content, f"{field}.content")
    if role == "assistant" and content == "" and calls:
        content = None
    if content is None and not calls and isinstance(raw.get("refusal"), str):
        content = raw["refusal"]  # Structured Outputs: the refusal is the answer
    name = raw.get("name")
    return message(
        role,
        content,
        calls,
        tool_call_id=raw.get("tool_call_id"),
        name=name if type(name) is str else None,
        media=media,
    )


def openai_messages(raw: Any, field: str) -> list[dict]:
    """Canonical messages from an OpenAI ``messages`` list."""
    if not isinstance(raw, list):
        raise BadRecord(field, "missing or not a list")
    out = []
    for i, m in enumerate(raw):
        # system/user/tool turns recur verbatim across lines; turns with tool calls are not
        # cached because new_record marks their invalid arguments in place
        if (
            isinstance(m, dict)
            and m.get("role") in ("system", "developer")
            and not m.get("tool_calls")
        ):
            out.append(_PLAIN_MESSAGES.get(m, f"{field}[{i}]", openai_message))
        else:
            try:
                out.append(openai_message(m, field))
            except BadRecord as exc:  # name the message: field[i].role, not field.role
                raise BadRecord(exc.field.replace(field, f"{field}[{i}]", 1), exc.reason) from None
    return out


def openai_tools(raw: Any, field: str) -> list[dict]:
    """Canonical tools from ``[{"type":"function","function":{...}}]`` or flat/legacy definitions."""
    if raw is None:
        return []
    return _TOOLS.get(raw, field, _convert_tools)


def tool_at(where: str, name: Any, description: Any, parameters: Any, rename=None) -> dict:
    """`records.tool`, an error naming the tool's path ``where`` and the key at fault (under
    its name in the log: ``rename`` maps a canonical key to it)."""
    try:
        return tool(name, description, parameters)
    except BadRecord as exc:
        key = exc.field.split(".")[-1]
        raise BadRecord(f"{where}.{(rename or {}).get(key, key)}", exc.reason) from None


def _convert_tools(raw: Any, field: str) -> list[dict]:
    if not isinstance(raw, list):
        raise BadRecord(field, "not a list")
    out = []
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise BadRecord(where, "not an object")
        fn = item.get("function", item)
        if not isinstance(fn, dict):
            raise BadRecord(f"{where}.function", "not an object")
        params = fn.get("parameters", fn.get("input_schema"))
        out.append(tool_at(where, fn.get("name"), fn.get("description"), params))
    return SharedTools(out)


def openai_completion(raw: Any, field: str) -> dict:
    """Pieces of a ``chat.completion``: ``{response, model, input_tokens, output_tokens}``."""
    if not isinstance(raw, dict):
        raise BadRecord(field, "not an object")
    if raw.get("object") == "chat.completion.chunk":
        raise BadRecord(f"{field}.object", "streaming chunk; log the assembled completion")
    choices = require(raw, "choices", field, list)
    if not choices:
        raise BadRecord(f"{field}.choices", "empty")
    first = choices[0]
    msg = first.get("message") if isinstance(first, dict) else None
    if msg is None:
        raise BadRecord(f"{field}.choices[0].message", "missing")
    msg = dict(msg)
    msg.setdefault("role", "assistant")
    usage = raw.get("usage") if isinstance(raw.get("usage"), dict) else {}
    return {
        "response": openai_message(msg, f"{field}.choices[0].message"),
        "model": raw.get("model"),
        "input_tokens": usage.get("prompt_tokens", usage.get("input_tokens")),
        "output_tokens": usage.get("completion_tokens", usage.get("output_tokens")),
    }


# --- Anthropic messages ------------------------------------------------------------------


def anthropic_system(raw: Any, field: str) -> list[dict]:
    """The top-level ``system`` (string or text blocks) as a list of zero or one system message."""
    text = text_of(raw, field)
    return [message("system", text)] if text else []


SERVER_CALL_BLOCKS = frozenset({"server_tool_use", "mcp_tool_use"})
SKIPPED_BLOCKS = frozenset({"thinking", "redacted_thinking"})


def _is_server_result(kind: Any) -> bool:
    return isinstance(kind, str) and kind != "tool_result" and kind.endswith("_tool_result")


def server_result_text(content: Any) -> str:
    """The result of a provider-run tool as text: its text blocks, else its canonical JSON
    without the provider's opaque ``encrypted_*`` fields."""
    if isinstance(content, str):
        return content
    blocks = content if isinstance(content, list) else [content]
    if all(isinstance(b, dict) and b.get("type") == "text" for b in blocks):
        return "\n".join(str(b.get("text", "")) for b in blocks)

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not str(k).startswith("encrypted")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return orjson.dumps(clean(content), option=orjson.OPT_SORT_KEYS).decode()


class _Turn:
    """The text, tool calls and media of one message being assembled from blocks."""

    def __init__(self, role: str):
        self.role, self.texts, self.calls, self.media = role, [], [], []

    def flush(self, out: list[dict], always: bool = False) -> None:
        if self.texts or self.calls or self.media or always:
            text = "\n".join(self.texts) if self.texts else None
            out.append(message(self.role, text, self.calls, media=self.media))
        self.texts, self.calls, self.media = [], [], []


def anthropic_blocks(role: str, content: Any, field: str, names: dict[str, str]) -> list[dict]:
    """Canonical messages from one Anthropic turn.

    An assistant turn gives one message (text + ``tool_use`` calls), or, when the provider ran
    a server tool (web search, code execution, MCP) inside it, an assistant message holding that
    call (``provider`` set), a ``tool`` message with its result, and the assistant's text after.
    A user turn gives one ``tool`` message per ``tool_result`` block, then a user message for any
    text. Image and document blocks become media kinds. ``names`` maps tool_use ids to tool
    names so tool results can carry the name.
    """
    if isinstance(content, str) or content is None:
        return [message(role_of(role, field), content)]
    if not isinstance(content, list):
        raise BadRecord(field, "content is neither a string nor a list of blocks")
    turn, out = _Turn(role_of(role, field)), []
    for i, block in enumerate(content):
        where = f"{field}[{i}]"
        if not isinstance(block, dict):
            raise BadRecord(where, "not an object")
        kind = block.get("type")
        if not isinstance(kind, str):
            raise BadRecord(f"{where}.type", "missing or not a string")
        if kind == "text":
            turn.texts.append(text_of(block, where) or "")
        elif kind == "tool_use" or kind in SERVER_CALL_BLOCKS:
            call = tool_call(
                block.get("name"), block.get("input"), block.get("id"), kind in SERVER_CALL_BLOCKS
            )
            if call["id"]:
                names[call["id"]] = call["name"]
            turn.calls.append(call)
        elif kind == "tool_result":
            use_id = block.get("tool_use_id")
            result, media = content_of(block.get("content"), f"{where}.content")
            out.append(
                message(
                    "tool", result or "", tool_call_id=use_id, name=names.get(use_id), media=media
                )
            )
        elif _is_server_result(kind):
            turn.flush(out)
            use_id = block.get("tool_use_id")
            text = server_result_text(block.get("content"))
            out.append(message("tool", text, tool_call_id=use_id, name=names.get(use_id)))
        elif kind in MEDIA_PART_TYPES or kind == "container_upload":
            turn.media.append(MEDIA_PART_TYPES.get(kind, "file"))
        elif kind == "search_result":
            turn.texts.append(text_of(block.get("content"), f"{where}.content") or "")
        elif kind not in SKIPPED_BLOCKS:
            raise BadRecord(f"{where}.type", f"unsupported block {known_kind(kind)}")
    turn.flush(out, always=not out)
    return out


def anthropic_messages(raw: Any, field: str, names: dict[str, str] | None = None) -> list[dict]:
    """Canonical messages from an Anthropic ``messages`` list."""
    if not isinstance(raw, list):
        raise BadRecord(field, "missing or not a list")
    names = {} if names is None else names
    out = []
    for i, turn in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(turn, dict):
            raise BadRecord(where, "not an object")
        out.extend(
            anthropic_blocks(turn.get("role"), turn.get("content"), f"{where}.content", names)
        )
    return out


def anthropic_tools(raw: Any, field: str) -> list[dict]:
    """Canonical tools from ``[{"name","description","input_schema"}]``."""
    return openai_tools(raw, field)
