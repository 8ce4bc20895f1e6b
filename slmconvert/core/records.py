"""The canonical record: one row per LLM call, the contract every stage reads and writes.

Records are plain dicts (fast to build, fast to hand to pyarrow). The builders here normalise
the awkward parts once, so parsers stay declarative:

- a message is ``{role, content, tool_calls, tool_call_id, name, media}``, where ``media``
  lists the kinds of its non-text parts (``image``, ``audio``, ``video``, ``file``) and nothing
  else of them: no bytes, URLs or file names, which can identify people;
- a tool call is ``{id, name, arguments, provider}`` where ``arguments`` is always a JSON
  *string* with canonical key order (an argument string that is not JSON is kept verbatim and
  the record gets ``arguments_valid = False``), and ``provider`` is true for a server-side tool
  the LLM's provider ran (web search, code execution);
- a tool is ``{name, description, parameters}`` with ``parameters`` a JSON Schema as a JSON string.

Later stages fill ``cluster_id`` and ``split``; until then they are null.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import xxhash

from slmconvert.core.errors import BadRecord

ROLES = ("system", "user", "assistant", "tool")
NOISE = -1
"""The ``cluster_id`` of a call that belongs to no cluster: it stays on the LLM."""
MEDIA_KINDS = ("image", "audio", "video", "file")
"""The kinds a non-text content part is kept as (the fixed list the schema allows)."""

MEDIA_PART_TYPES = {
    "image": "image", "image_url": "image", "input_image": "image",
    "audio": "audio", "input_audio": "audio", "audio_url": "audio",
    "video": "video", "video_url": "video", "input_video": "video",
    "file": "file", "input_file": "file", "document": "file", "file_url": "file",
}  # fmt: skip
"""Raw content-part types of the providers, mapped to the record's media kinds."""


SCHEMA_VERSION = 2
"""Bumped when the record's fields change: 2 added ``media``, ``has_media`` and ``provider``."""

TOOL_CALL_TYPE = pa.struct(
    [
        ("id", pa.string()),
        ("name", pa.string()),
        ("arguments", pa.string()),
        ("provider", pa.bool_()),
    ]
)
MESSAGE_TYPE = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("tool_calls", pa.list_(TOOL_CALL_TYPE)),
        ("tool_call_id", pa.string()),
        ("name", pa.string()),
        ("media", pa.list_(pa.string())),
    ]
)
TOOL_TYPE = pa.struct(
    [("name", pa.string()), ("description", pa.string()), ("parameters", pa.string())]
)
SOURCE_TYPE = pa.struct([("format", pa.string()), ("file", pa.string()), ("line", pa.int64())])
USAGE_TYPE = pa.struct([("input_tokens", pa.int64()), ("output_tokens", pa.int64())])

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        ("source", SOURCE_TYPE),
        ("timestamp", pa.string()),
        ("model", pa.string()),
        ("workload", pa.string()),
        ("messages", pa.list_(MESSAGE_TYPE)),
        ("tools", pa.list_(TOOL_TYPE)),
        ("response", MESSAGE_TYPE),
        ("usage", USAGE_TYPE),
        ("latency_ms", pa.float64()),
        ("cost_usd", pa.float64()),
        ("arguments_valid", pa.bool_()),
        ("has_media", pa.bool_()),
        ("cluster_id", pa.int32()),
        ("split", pa.string()),
    ],
    metadata={"slmconvert.schema_version": str(SCHEMA_VERSION)},
)
"""The pyarrow schema every stage writes. Field names are public contract."""

FIELDS = tuple(SCHEMA.names)


def dumps(obj: Any) -> str:
    """Canonical JSON text: sorted keys, no spaces, UTF-8 kept."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def normalize_arguments(arguments: Any) -> tuple[str, bool]:
    """Return ``(json_string, valid)``: canonical JSON for objects and JSON strings, else verbatim."""
    if arguments is None:
        return "{}", True
    if isinstance(arguments, str):
        if not arguments.strip():
            return "{}", True
        try:
            parsed = orjson.loads(arguments)
        except orjson.JSONDecodeError:
            return arguments, False
        return dumps(parsed), True
    try:
        return dumps(arguments), True
    except TypeError:
        return str(arguments), False


def tool_call(name: Any, arguments: Any = None, id: Any = None, provider: bool = False) -> dict:
    """Build a canonical tool call; ``arguments`` may be an object or a JSON string.

    ``provider`` marks a server-side tool the LLM's provider ran itself (web search, code
    execution); such calls are kept with their results but no agent tool answers them."""
    if not isinstance(name, str) or not name:
        raise BadRecord("tool_call.name", "missing or not a string")
    args, valid = normalize_arguments(arguments)
    call = {"id": None if id is None else str(id), "name": name, "arguments": args}
    if provider:  # only when set: a text-only call's id stays what schema 1 gave it
        call["provider"] = True
    if not valid:
        call["_invalid"] = True
    return call


def message(
    role: str,
    content: str | None = None,
    tool_calls: Iterable[dict] | None = None,
    tool_call_id: Any = None,
    name: str | None = None,
    media: Iterable[str] | None = None,
) -> dict:
    """Build a canonical message. ``role`` must be one of system/user/assistant/tool;
    ``media`` lists the kinds (`MEDIA_KINDS`) of the turn's non-text parts, in order."""
    if role not in ROLES:
        raise BadRecord("message.role", f"must be one of {', '.join(ROLES)}")
    if content is not None and not isinstance(content, str):
        raise BadRecord("message.content", "must be a string or null after normalisation")
    msg = {
        "role": role,
        "content": content,
        "tool_calls": list(tool_calls or []),
        "tool_call_id": None if tool_call_id is None else str(tool_call_id),
        "name": name,
    }
    if media:  # only when present: a text-only call's id stays what schema 1 gave it
        kinds = list(media)
        if any(kind not in MEDIA_KINDS for kind in kinds):
            raise BadRecord("message.media", f"must be kinds among {', '.join(MEDIA_KINDS)}")
        msg["media"] = kinds
    return msg


def media_kind(part_type: Any) -> str | None:
    """The media kind (image/audio/video/file) of a raw content-part type, or None."""
    return MEDIA_PART_TYPES.get(part_type) if isinstance(part_type, str) else None


def has_media(messages: Iterable[Mapping[str, Any]], response: Mapping[str, Any]) -> bool:
    """Whether any turn of a call, prompt or answer, carried an image, audio, video or file."""
    return any(msg.get("media") for msg in messages) or bool(response.get("media"))


def render_media(msg: Mapping[str, Any]) -> str | None:
    """A message's text with one ``<image>``-style placeholder per media part before it:
    the text a stage that needs text (embedding, training) sees for a multimodal turn."""
    kinds = msg.get("media")
    if not kinds:
        return msg.get("content")
    marks = " ".join(f"<{kind}>" for kind in kinds)
    text = msg.get("content")
    return f"{marks}\n{text}" if text else marks


def tool(name: Any, description: Any = None, parameters: Any = None) -> dict:
    """Build a canonical tool definition; ``parameters`` is its JSON Schema (object or string)."""
    if not isinstance(name, str) or not name:
        raise BadRecord("tools.name", "missing or not a string")
    if description is not None and not isinstance(description, str):
        raise BadRecord("tools.description", "not a string")
    if parameters is None:
        params = '{"properties":{},"type":"object"}'
    else:
        params, valid = normalize_arguments(parameters)
        if not valid:
            raise BadRecord("tools.parameters", "not valid JSON")
    return {"name": name, "description": description or None, "parameters": params}


def to_datetime(value: Any) -> datetime | None:
    """Epoch seconds/ms/ns or an ISO-8601 string as an aware datetime (naive ISO = UTC); else None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e17:
            seconds /= 1e9
        elif seconds > 1e14:
            seconds /= 1e6
        elif seconds > 1e11:
            seconds /= 1e3
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            return to_datetime(float(value))
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def to_timestamp(value: Any) -> str | None:
    """Normalise epoch seconds/ms/ns or an ISO-8601 string to ISO-8601 UTC (``...Z``); else None."""
    moment = to_datetime(value)
    if moment is None:
        return None
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    # an aware isoformat ends in "+00:00" here; swap it for "Z"
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class SharedTools(list):
    """A tool list that many records share unchanged (parsers memoise them), carrying its
    canonical JSON so each record's id does not serialise it again. Never mutate one."""

    __slots__ = ("json",)

    def __init__(self, tools: Iterable[dict] = ()):
        super().__init__(tools)
        self.json = orjson.dumps(self, option=orjson.OPT_SORT_KEYS)


def id_of(record: dict) -> str:
    """The id of a record read back from Parquet (see `record_id`); drops its null schema-2
    keys in place first, as collect hashed the call without them."""
    drop_absent(record)
    return record_id(record["messages"], record["tools"], record["response"])


def drop_absent(record: dict) -> dict:
    """Remove the schema-2 keys a read-back record holds as null (``media``, ``provider``)."""
    for msg in (*record["messages"], record["response"]):
        if "media" in msg and not msg["media"]:
            del msg["media"]
        for call in msg.get("tool_calls") or ():
            if "provider" in call and not call["provider"]:
                del call["provider"]
    return record


def record_id(messages: list[dict], tools: list[dict], response: dict) -> str:
    """Stable content hash of a call: the same prompt, tools and answer give the same id
    (128-bit XXH3 of their canonical JSON, as 32 hex digits)."""
    sort = orjson.OPT_SORT_KEYS
    # the bytes of orjson.dumps([messages, tools, response]), with the tools' part reused
    tools_json = tools.json if type(tools) is SharedTools else orjson.dumps(tools, option=sort)
    payload = b"".join(
        (b"[", orjson.dumps(messages, option=sort), b",", tools_json, b",")
        + (orjson.dumps(response, option=sort), b"]")
    )
    # XXH3: ids identify and deduplicate, they protect nothing (bench/results/tuning.md)
    return xxhash.xxh3_128_hexdigest(payload)


def _strip_invalid_marks(messages: Iterable[dict]) -> bool:
    valid = True
    for msg in messages:
        for call in msg["tool_calls"]:
            if call.pop("_invalid", False):
                valid = False
    return valid


def new_record(
    *,
    source: Mapping[str, Any],
    messages: list[dict],
    response: dict,
    tools: list[dict] | None = None,
    model: Any = None,
    workload: Any = None,
    timestamp: Any = None,
    input_tokens: Any = None,
    output_tokens: Any = None,
    latency_ms: Any = None,
    cost_usd: Any = None,
) -> dict:
    """Assemble a canonical record from built messages, response and tools; computes ``id``."""
    if not messages:
        raise BadRecord("messages", "empty prompt")
    if response is None:
        raise BadRecord("response", "missing")
    if response["role"] != "assistant":
        raise BadRecord("response.role", "must be assistant")
    if response["content"] is None and not response["tool_calls"] and not response.get("media"):
        raise BadRecord("response", "has neither content nor tool calls")
    if type(tools) is not SharedTools:
        tools = list(tools or [])
    valid = _strip_invalid_marks(messages) & _strip_invalid_marks([response])
    return {
        "id": record_id(messages, tools, response),
        "source": {
            "format": source.get("format"),
            "file": source.get("file"),
            "line": source.get("line"),
        },
        "timestamp": to_timestamp(timestamp),
        "model": None if model is None else str(model),
        "workload": None if workload is None else str(workload),
        "messages": messages,
        "tools": tools,
        "response": response,
        "usage": {
            "input_tokens": _int_or_none(input_tokens),
            "output_tokens": _int_or_none(output_tokens),
        },
        "latency_ms": _float_or_none(latency_ms),
        "cost_usd": _float_or_none(cost_usd),
        "arguments_valid": valid,
        "has_media": has_media(messages, response),
        "cluster_id": None,
        "split": None,
    }


def to_table(records: list[dict]) -> pa.Table:
    """Records as a pyarrow Table in the canonical schema."""
    return pa.Table.from_pylist(records, schema=SCHEMA)


CHARS_PER_TOKEN = 4
"""The estimate used when a log has no usage: a token per four characters."""


def _chars(msg: Mapping[str, Any] | None) -> int:
    if not msg:
        return 0
    calls = msg.get("tool_calls") or []
    return len(msg.get("content") or "") + sum(
        len(c.get("name") or "") + len(c.get("arguments") or "") for c in calls
    )


def call_tokens(record: Mapping[str, Any]) -> tuple[int, int, bool]:
    """``(input, output, estimated)`` tokens of a call: its logged usage, else an estimate of
    ceil(characters / 4) over the prompt's messages and tools, and over the answer."""
    usage = record.get("usage") or {}
    prompt, answer = usage.get("input_tokens"), usage.get("output_tokens")
    estimated = prompt is None or answer is None
    if prompt is None:
        tool_chars = sum(
            len(t.get("name") or "")
            + len(t.get("description") or "")
            + len(t.get("parameters") or "")
            for t in record.get("tools") or []
        )
        chars = sum(_chars(m) for m in record.get("messages") or []) + tool_chars
        prompt = math.ceil(chars / CHARS_PER_TOKEN)
    if answer is None:
        answer = math.ceil(_chars(record.get("response")) / CHARS_PER_TOKEN)
    return prompt, answer, estimated


def conform(table: pa.Table, schema: pa.Schema = SCHEMA) -> pa.Table:
    """``table`` in ``schema``: as it is when it already matches, cast when only types differ,
    else rebuilt row by row (records written by an earlier schema version gain its new fields,
    null)."""
    if table.schema.equals(schema):
        return table
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError, TypeError):
        return pa.Table.from_pylist(table.to_pylist(), schema=schema)


def answer_kind(response: Mapping[str, Any]) -> str:
    """What the LLM answered with: ``tool:<name>`` (first call), ``json`` or ``text``."""
    calls = response.get("tool_calls") or []
    if len(calls):
        return "tool:" + calls[0]["name"]
    content = (response.get("content") or "").strip()
    if content[:1] in "{[" and content:
        try:
            orjson.loads(content)
            return "json"
        except orjson.JSONDecodeError:
            pass
    return "text"
