"""`gemini`: Google Gemini API ``generateContent`` calls (Google AI Studio and Vertex AI).

Layouts accepted (sniffed, not assumed):
- ``{"request": <GenerateContentRequest>, "response": <GenerateContentResponse>}`` (the
  request may hold ``model``), or the request's fields at top level beside ``response``;
- a Vertex AI request-response logging row (BigQuery): ``{"full_request", "full_response",
  "logging_time", "model", "metadata": {"request_latency"}}``, payloads as objects or JSON text.

Payloads in the REST API's camelCase or the google-genai SDK's snake_case dumps (a null field
is absent; ``system_instruction`` and ``tools`` may sit under the SDK's ``config``). A function
call without an ``id`` gets ``call-<turn>-<n>``: its turn's index in ``contents`` (the answer's
is ``len(contents)``) and its rank among that turn's calls; a function response without one
takes the id of the first unanswered call of its name. ``executableCode`` and
``codeExecutionResult`` are kept as a provider-run ``code_execution`` call and its result;
thought parts are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import orjson

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import SharedTools, dumps, message, new_record, tool, tool_call
from slmconvert.formats.common import Memo, _Turn, mime_kind, tool_at
from slmconvert.formats.registry import Ignored, ParseContext, Parser, register

RESPONSE_KEYS = ("candidates", "promptFeedback", "prompt_feedback", "usageMetadata")
RESPONSE_KEYS += ("usage_metadata", "error")
DATA_KEYS = ("text", "functionCall", "functionResponse", "inlineData", "fileData")
DATA_KEYS += ("executableCode", "codeExecutionResult")
META_KEYS = frozenset(
    {"thought", "thoughtSignature", "videoMetadata", "partMetadata", "mediaResolution"}
    | {"thought_signature", "video_metadata", "part_metadata", "media_resolution"}
)
BLOCKED = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"})
BLOCKED |= {"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"}
CODE_TOOL = "code_execution"
BUILTIN = "built-in tool run by Google"
SCHEMA_KEYS = {
    "any_of": "anyOf", "max_items": "maxItems", "min_items": "minItems",
    "max_length": "maxLength", "min_length": "minLength", "max_properties": "maxProperties",
    "min_properties": "minProperties", "property_ordering": "propertyOrdering",
    "additional_properties": "additionalProperties",
}  # fmt: skip
"""The SDK's snake_case spellings of Gemini Schema keywords, as JSON Schema spells them."""
_UPPER = re.compile(r"(?<=[a-z0-9])([A-Z])")
_TOOLS = Memo()


@lru_cache(maxsize=1024)
def _snake(name: str) -> str:
    return _UPPER.sub(r"_\1", name).lower()


def _pick(obj: dict, camel: str) -> tuple[str, Any]:
    """``(key, value)`` of a field under its camelCase or snake_case name (null = absent)."""
    value = obj.get(camel)
    if value is not None:
        return camel, value
    snake = _snake(camel)
    return snake, obj.get(snake)


def _json(raw: Any, field: str) -> Any:
    """A payload logged as JSON text, decoded; anything else as it is."""
    if not isinstance(raw, str):
        return raw
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRecord(field, "not valid JSON") from None


def _split(obj: dict) -> tuple[str, Any, str, Any] | None:
    if "full_request" in obj and "full_response" in obj:
        return "full_request", obj["full_request"], "full_response", obj["full_response"]
    if isinstance(obj.get("request"), dict) and "response" in obj:
        return "request", obj["request"], "response", obj["response"]
    if "contents" in obj and "response" in obj:
        return "", obj, "response", obj["response"]
    return None


def _gemini_response(response: Any) -> bool:
    if isinstance(response, list):  # streamed chunks; parse names the problem
        return bool(response) and all(isinstance(c, dict) and "candidates" in c for c in response)
    return response is None or (
        isinstance(response, dict) and any(key in response for key in RESPONSE_KEYS)
    )


def sniff(obj: Any) -> bool:
    """A Vertex AI logging row (``full_request`` holding ``contents``), or a request with a
    ``contents`` list beside a Gemini response (``candidates``, ``promptFeedback`` or
    ``usageMetadata``) or none."""
    if not isinstance(obj, dict):
        return False
    parts = _split(obj)
    if parts is None:
        return False
    request, response = parts[1], parts[3]
    if parts[0] == "full_request":
        if isinstance(request, str):
            return '"contents"' in request
        return isinstance(request, dict) and "contents" in request
    return isinstance(request.get("contents"), list | str) and _gemini_response(response)


class _Links:
    """Links each function response to its call: the calls of the last model turn still
    unanswered, and the code the provider ran in the current one."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, str]] = []
        self.code: list[str] = []

    def answer(self, name: str | None, given: Any) -> tuple[str | None, str | None]:
        """``(tool_call_id, name)`` for a function response: its own id, else the id of the
        first unanswered call of that name."""
        given = None if given in (None, "") else str(given)
        for i, (called, call_id) in enumerate(self.pending):
            if call_id == given if given else name in (None, called):
                del self.pending[i]
                return call_id, name or called
        return given, name


def _data(part: Any, where: str) -> tuple[str | None, str, Any]:
    """``(kind, key, value)`` of a part's data field; kind is None for a metadata-only part."""
    if isinstance(part, str):
        return "text", "text", part
    if not isinstance(part, dict):
        raise BadRecord(where, "not an object")
    for kind in DATA_KEYS:
        key, value = _pick(part, kind)
        if value is not None:
            if kind == "text" and not isinstance(value, str):
                raise BadRecord(f"{where}.text", "not a string")
            return kind, key, value
    if all(value is None or key in META_KEYS for key, value in part.items()):
        return None, "", None
    raise BadRecord(where, "part holds no supported data field")


def _parts(raw: Any, field: str) -> list:
    if not isinstance(raw, list):
        raise BadRecord(field, "missing or not a list")
    return raw


def _media(value: Any, where: str) -> str:
    if not isinstance(value, dict):
        raise BadRecord(where, "not an object")
    return mime_kind(_pick(value, "mimeType")[1])


def _call(kind: str, value: Any, where: str, call_id: str, links: _Links) -> dict:
    """A ``functionCall`` part as a tool call, an ``executableCode`` part as a provider-run
    ``code_execution`` call; ``call_id`` unless the part has an ``id``."""
    if not isinstance(value, dict):
        raise BadRecord(where, "not an object")
    if value.get("id") not in (None, ""):
        call_id = str(value["id"])
    if kind == "executableCode":
        links.code.append(call_id)
        args = {k: value[k] for k in ("language", "code") if value.get(k) is not None}
        return tool_call(CODE_TOOL, args, call_id, provider=True)
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise BadRecord(f"{where}.name", "missing or not a string")
    links.pending.append((name, call_id))
    return tool_call(name, value.get("args"), call_id)


def _code_result(value: Any, where: str, links: _Links) -> dict:
    """A ``codeExecutionResult`` part as the tool message answering the code it follows."""
    if not isinstance(value, dict):
        raise BadRecord(where, "not an object")
    given = value.get("id")
    call_id = links.code.pop(0) if links.code else None
    if given not in (None, ""):
        call_id = str(given)
    output, outcome = value.get("output"), value.get("outcome")
    text = output if isinstance(output, str) else outcome if isinstance(outcome, str) else ""
    return message("tool", text, tool_call_id=call_id, name=CODE_TOOL)


def _function_result(value: Any, where: str, links: _Links) -> dict:
    """A ``functionResponse`` part as a tool message (its ``response`` as JSON text)."""
    if not isinstance(value, dict):
        raise BadRecord(where, "not an object")
    name = value.get("name") if isinstance(value.get("name"), str) else None
    call_id, name = links.answer(name, value.get("id"))
    result = value.get("response")
    text = result if isinstance(result, str) else "" if result is None else dumps(result)
    media, parts = [], value.get("parts")
    for i, part in enumerate(parts if isinstance(parts, list) else ()):
        kind, key, data = _data(part, f"{where}.parts[{i}]")
        if kind in ("inlineData", "fileData"):
            media.append(_media(data, f"{where}.parts[{i}].{key}"))
    return message("tool", text, tool_call_id=call_id, name=name, media=media)


def turn_messages(role: str, parts: Any, field: str, turn: int, links: _Links) -> list[dict]:
    """Canonical messages from one turn of ``contents`` (``turn`` is its index there).

    A model turn gives one assistant message (text, function calls, media), split around each
    code execution into the call, a ``tool`` message with its result, and what came after;
    thought parts are dropped. A user turn gives one ``tool`` message per ``functionResponse``
    part, then a user message for its text and media."""
    model, msg, out, calls = role == "assistant", _Turn(role), [], 0
    if model:
        links.pending, links.code = [], []
    for p, part in enumerate(_parts(parts, field)):
        kind, key, value = _data(part, f"{field}[{p}]")
        if kind is None or (isinstance(part, dict) and part.get("thought") is True):
            continue
        where = f"{field}[{p}].{key}"
        if kind == "text":
            msg.texts += [value] if value else []
        elif kind in ("inlineData", "fileData"):
            msg.media.append(_media(value, where))
        elif model and kind in ("functionCall", "executableCode"):
            msg.calls.append(_call(kind, value, where, f"call-{turn}-{calls}", links))
            calls += 1
        elif model and kind == "codeExecutionResult":
            msg.flush(out)
            out.append(_code_result(value, where, links))
        elif not model and kind == "functionResponse":
            out.append(_function_result(value, where, links))
        else:
            raise BadRecord(where, f"not allowed in a {'model' if model else 'user'} turn")
    msg.flush(out, always=not out)
    return out


def contents_messages(raw: Any, field: str, links: _Links) -> list[dict]:
    """Canonical messages from ``contents``: a list of ``{role, parts}`` turns (a missing role
    is ``user``), or the SDK's shorthands (a string, consecutive strings = one user turn)."""
    if isinstance(raw, str):
        return [message("user", raw)]
    if not isinstance(raw, list):
        raise BadRecord(field, "missing or not a list")
    out: list[dict] = []
    for t, turn in enumerate(raw):
        where = f"{field}[{t}]"
        if isinstance(turn, str):
            if t and isinstance(raw[t - 1], str):
                out[-1]["content"] += "\n" + turn
            else:
                out.append(message("user", turn))
            continue
        if not isinstance(turn, dict):
            raise BadRecord(where, "not an object")
        role = turn.get("role") or "user"
        if role not in ("user", "model", "function", "tool"):
            raise BadRecord(f"{where}.role", "must be user or model")
        role = "assistant" if role == "model" else "user"
        out.extend(turn_messages(role, turn.get("parts"), f"{where}.parts", t, links))
    return out


def _setting(request: dict, camel: str, prefix: str) -> tuple[str, Any]:
    """``(field, value)`` of a request field, or of the same field in the SDK's ``config``."""
    key, value = _pick(request, camel)
    config = request.get("config")
    if value is None and isinstance(config, dict):
        key, value = _pick(config, camel)
        key = f"config.{key}"
    return f"{prefix}{key}", value


def system_messages(request: dict, prefix: str) -> list[dict]:
    """``systemInstruction`` (a Content, its parts, or a string; in the request or its SDK
    ``config``) as zero or one system message; non-text parts there are dropped."""
    field, raw = _setting(request, "systemInstruction", prefix)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [message("system", raw)] if raw else []
    if isinstance(raw, dict):
        raw, field = raw.get("parts"), f"{field}.parts"
    texts = []
    for i, part in enumerate(_parts(raw, field)):
        text = part.get("text") if isinstance(part, dict) else part
        if not isinstance(text, str | None):
            raise BadRecord(f"{field}[{i}].text", "not a string")
        if text:
            texts.append(text)
    return [message("system", "\n".join(texts))] if texts else []


def _schema(node: Any) -> Any:
    """A Gemini Schema as JSON Schema: null keywords dropped, the SDK's snake_case keywords
    camelCased, ``OBJECT``-style type names lowercased."""
    if isinstance(node, list):
        return [_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if value is None:
            continue
        key = SCHEMA_KEYS.get(key, key)
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _schema(sub) for name, sub in value.items()}
        elif key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key in ("items", "anyOf", "additionalProperties"):
            out[key] = _schema(value)
        else:
            out[key] = value
    return out


def _declarations(raw: Any, field: str) -> list[dict]:
    if not isinstance(raw, list):
        raise BadRecord(field, "not a list")
    out = []
    for j, fn in enumerate(raw):
        where = f"{field}[{j}]"
        if not isinstance(fn, dict):
            raise BadRecord(where, "not an object")
        key, params = _pick(fn, "parametersJsonSchema")
        if params is None:
            key, params = "parameters", _schema(fn.get("parameters"))
        out.append(
            tool_at(where, fn.get("name"), fn.get("description"), params, {"parameters": key})
        )
    return out


def _convert_tools(raw: Any, field: str) -> SharedTools:
    if not isinstance(raw, list):
        raise BadRecord(field, "not a list")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BadRecord(f"{field}[{i}]", "not an object")
        for key, value in item.items():
            if value is None:
                continue
            if key in ("functionDeclarations", "function_declarations"):
                out.extend(_declarations(value, f"{field}[{i}].{key}"))
            else:  # googleSearch, codeExecution, urlContext...: named like the provider call
                out.append(tool(_snake(key), BUILTIN))
    return SharedTools(out)


def request_tools(request: dict, prefix: str) -> list[dict]:
    """Canonical tools: each ``functionDeclarations`` entry (``parameters`` as JSON Schema, or
    ``parametersJsonSchema`` as given), and each built-in tool (``{"googleSearch": {}}``) as a
    tool named by its key in snake_case (``google_search``)."""
    field, raw = _setting(request, "tools", prefix)
    return [] if raw is None else _TOOLS.get(raw, field, _convert_tools)


def response_turns(response: Any, field: str, turn_index: int) -> tuple[list[dict], dict] | str:
    """``(before, answer)`` from a response's first candidate (``before``: code the provider
    ran on the way, with its results), or the reason to ignore a call that gave no answer."""
    if isinstance(response, list):
        raise BadRecord(field, "streaming chunks; log the assembled response")
    if not isinstance(response, dict):
        raise BadRecord(field, "not an object")
    if response.get("error") is not None:
        return "failed call"
    key, candidates = _pick(response, "candidates")
    if not candidates:
        feedback = _pick(response, "promptFeedback")[1]
        blocked = isinstance(feedback, dict) and _pick(feedback, "blockReason")[1]
        return "blocked by the provider" if blocked else "failed call"
    if not isinstance(candidates, list):
        raise BadRecord(f"{field}.{key}", "not a list")
    where, first = f"{field}.{key}[0]", candidates[0]
    if not isinstance(first, dict):
        raise BadRecord(where, "not an object")
    reason = _pick(first, "finishReason")[1]
    content = first.get("content")
    if not isinstance(content, dict | None):
        raise BadRecord(f"{where}.content", "not an object")
    if not (content or {}).get("parts"):
        finish = reason.rsplit(".", 1)[-1] if isinstance(reason, str) else None
        return "blocked by the provider" if finish in BLOCKED else "failed call"
    if reason is None and _pick(response, "usageMetadata")[1] is not None:
        key = "finish_reason" if any("_" in k for k in first) else "finishReason"
        raise BadRecord(f"{where}.{key}", "missing: a streaming chunk? log the whole answer")
    out = turn_messages(
        "assistant", content["parts"], f"{where}.content.parts", turn_index, _Links()
    )
    last = max((i for i, m in enumerate(out) if m["role"] == "assistant"), default=None)
    if last is None:
        raise BadRecord(f"{where}.content.parts", "no model output after the code result")
    answer = out[last]
    if answer["content"] is None and not answer["tool_calls"] and not answer.get("media"):
        return "failed call"  # thoughts only: the model ran out before answering
    return out[:last], answer


def _count(value: Any) -> int | None:
    if type(value) is int:
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def tokens(usage: Any) -> tuple[int | None, int | None]:
    """``(input, output)`` tokens: prompt plus tool-use prompt tokens; candidate plus thought
    tokens (else total minus input when the candidate count is left out)."""
    if not isinstance(usage, dict):
        return None, None
    prompt = _count(_pick(usage, "promptTokenCount")[1])
    tool_use = _count(_pick(usage, "toolUsePromptTokenCount")[1]) or 0
    answer = _count(_pick(usage, "candidatesTokenCount")[1])
    thoughts = _count(_pick(usage, "thoughtsTokenCount")[1])
    total = _count(_pick(usage, "totalTokenCount")[1])
    inp = None if prompt is None else prompt + tool_use
    if answer is None and thoughts is None:
        return inp, None if total is None or inp is None else total - inp
    return inp, (answer or 0) + (thoughts or 0)


def _model(*names: Any) -> str | None:
    for name in names:
        if isinstance(name, str) and name:
            return name.rsplit("models/", 1)[-1]
    return None


def _timestamp(value: Any) -> Any:
    # BigQuery writes TIMESTAMP columns as "2025-06-02 14:03:11.482 UTC"
    if isinstance(value, str) and value.endswith(" UTC"):
        return value[:-4] + "+00:00"
    return value


def _metadata(raw: Any) -> dict:
    """The logging row's ``metadata`` column (an object or JSON text); {} when unreadable."""
    try:
        raw = _json(raw, "metadata")
    except BadRecord:
        return {}
    return raw if isinstance(raw, dict) else {}


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per call; a blocked or failed call is ``Ignored``."""
    parts = _split(obj) if isinstance(obj, dict) else None
    if parts is None:
        raise BadRecord("request", "missing request/response pair")
    req_key, request, resp_key, response = parts
    request, response = _json(request, req_key), _json(response, resp_key)
    prefix = f"{req_key}." if req_key else ""
    if not isinstance(request, dict):
        raise BadRecord(req_key, "not an object")
    if response is None:
        raise BadRecord(resp_key, "missing")
    contents = request.get("contents")
    turns = len(contents) if isinstance(contents, list) else 1
    answer = response_turns(response, resp_key, turns)
    if isinstance(answer, str):
        yield Ignored(answer)
        return
    messages = system_messages(request, prefix)
    messages += contents_messages(contents, f"{prefix}contents", _Links())
    meta = _metadata(obj.get("metadata"))
    inp, out = tokens(_pick(response, "usageMetadata")[1])
    yield new_record(
        source=ctx.source,
        messages=messages + answer[0],
        tools=request_tools(request, prefix),
        response=answer[1],
        model=_model(_pick(response, "modelVersion")[1], request.get("model"), obj.get("model")),
        workload=obj.get("workload_id", obj.get("workload")),
        timestamp=_timestamp(
            obj.get("timestamp") or obj.get("logging_time") or _pick(response, "createTime")[1]
        ),
        input_tokens=inp,
        output_tokens=out,
        latency_ms=obj.get("latency_ms", meta.get("request_latency")),
        cost_usd=obj.get("cost_usd"),
    )


PARSER = register(
    Parser(
        name="gemini",
        description="Google Gemini API generateContent calls (AI Studio, Vertex AI logging)",
        sniff=sniff,
        parse=parse,
    )
)
