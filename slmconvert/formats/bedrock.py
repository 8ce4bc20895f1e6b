"""`bedrock-converse`: Amazon Bedrock Converse API calls, logged by the app or by Bedrock itself.

Layouts accepted (sniffed, not assumed):
- ``{"request": <Converse request>, "response": <Converse response>}``, with optional
  ``timestamp``, ``workload_id``/``workload``, ``latency_ms`` and ``cost_usd`` beside them;
- a Converse response alone (``{"output": {"message"}, "stopReason", "usage", "metrics"}``):
  no prompt, so ``Ignored("response without its request")``;
- a Bedrock model invocation log record (``"schemaType": "ModelInvocationLog"``): operation
  Converse/ConverseStream, ``input.inputBodyJson`` the request, ``output.outputBodyJson`` the
  response. A body moved to S3 (``inputBodyS3Path``/``outputBodyS3Path``) is
  ``Ignored("body stored in S3")``, an ``errorCode`` ``Ignored("failed call")``. ``InvokeModel``
  with an Anthropic Messages body (``anthropic_version``) goes through the Anthropic converters;
  other bodies are ``Ignored("InvokeModel body not in Converse shape")``.

Converse blocks carry no ``type``: each is an object with one member (``text``, ``toolUse``,
``toolResult``, ``image``, ``document``, ``video``, ``audio``, ``guardContent``,
``citationsContent``, ``searchResult``, ``reasoningContent``, ``cachePoint``). Input tokens count
cache reads and writes too (Bedrock reports them apart from ``inputTokens``). ``identity``,
``accountId`` and the account inside an ARN never reach the record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import SharedTools, dumps, message, new_record, tool, tool_call
from slmconvert.formats.common import (
    Memo,
    _Turn,
    anthropic_messages,
    anthropic_system,
    anthropic_tools,
    media_kind,
    require,
    role_of,
)
from slmconvert.formats.registry import Ignored, ParseContext, Parser, register

MESSAGE_BLOCKS = (
    "text", "toolUse", "toolResult", "image", "document", "video", "audio", "guardContent",
    "citationsContent", "searchResult", "reasoningContent", "cachePoint",
)  # fmt: skip
RESULT_BLOCKS = ("text", "json", "image", "document", "video", "searchResult")
SYSTEM_BLOCKS = ("text", "guardContent", "cachePoint")
MEDIA_BLOCKS = frozenset({"image", "document", "video", "audio"})
SKIPPED_BLOCKS = frozenset({"reasoningContent", "cachePoint"})
CACHE_KEYS = ("cacheReadInputTokens", "cacheWriteInputTokens")
LOG_CACHE_KEYS = ("cacheReadInputTokenCount", "cacheWriteInputTokenCount")
CONVERSE_OPS = frozenset({"Converse", "ConverseStream"})
INVOKE_OPS = frozenset({"InvokeModel", "InvokeModelWithResponseStream"})
LOG_BODY = ("input.inputBodyJson", "output.outputBodyJson")
_TOOLS = Memo()


# --- blocks -----------------------------------------------------------------------------


def _member(block: Any, where: str, members: tuple[str, ...]) -> tuple[str, Any]:
    """``(name, value)`` of a union block (an object with one known member)."""
    if not isinstance(block, dict):
        raise BadRecord(where, "not an object")
    for key in block:
        if key in members:
            return key, block[key]
    raise BadRecord(where, "unsupported content block of an unknown kind")


def _string(value: Any, where: str, empty: bool = True) -> str:
    if not isinstance(value, str) or not (value or empty):
        raise BadRecord(where, "missing or not a string")
    return value


def _texts_of(blocks: Any, where: str) -> str:
    """The ``text`` members of a list of ``{"text": ...}`` blocks, joined by newlines."""
    if not isinstance(blocks, list):
        raise BadRecord(where, "missing or not a list")
    out = []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise BadRecord(f"{where}[{i}]", "not an object")
        out.append(_string(block.get("text"), f"{where}[{i}].text"))
    return "\n".join(out)


def _text_block(kind: str, value: Any, at: str) -> tuple[str | None, str | None]:
    """``(text, media kind)`` of a text-bearing block: text, guardContent (its text, or an
    image), citationsContent (the generated text) or searchResult (its content)."""
    if kind == "text":
        return _string(value, at), None
    if not isinstance(value, dict):
        raise BadRecord(at, "not an object")
    if kind == "guardContent":
        if "image" in value:
            return None, "image"
        inner = value.get("text")
        text = inner.get("text") if isinstance(inner, dict) else None
        return _string(text, f"{at}.text.text"), None
    return _texts_of(value.get("content"), f"{at}.content"), None


def _tool_use(value: Any, at: str, names: dict[str, str]) -> dict:
    """A canonical tool call from ``{"toolUseId", "name", "input", "type"?}``; a
    ``server_tool_use`` type marks a tool Bedrock ran itself."""
    if not isinstance(value, dict):
        raise BadRecord(at, "not an object")
    name = _string(value.get("name"), f"{at}.name", empty=False)
    use_id = _string(value.get("toolUseId"), f"{at}.toolUseId", empty=False)
    names[use_id] = name
    return tool_call(name, value.get("input"), use_id, value.get("type") == "server_tool_use")


def _tool_result(value: Any, at: str, names: dict[str, str]) -> dict:
    """A ``tool`` message from ``{"toolUseId", "content": [text | json | media], "status"?}``:
    text joined, ``json`` as canonical JSON text, media as kinds."""
    if not isinstance(value, dict):
        raise BadRecord(at, "not an object")
    use_id = _string(value.get("toolUseId"), f"{at}.toolUseId", empty=False)
    content = value.get("content") or []
    if not isinstance(content, list):
        raise BadRecord(f"{at}.content", "not a list")
    texts, media = [], []
    for i, part in enumerate(content):
        where = f"{at}.content[{i}]"
        kind, inner = _member(part, where, RESULT_BLOCKS)
        if kind == "json":
            try:
                texts.append(dumps(inner))
            except TypeError:
                raise BadRecord(f"{where}.json", "not JSON") from None
        elif kind in MEDIA_BLOCKS:
            media.append(media_kind(kind))
        else:
            texts.append(_text_block(kind, inner, f"{where}.{kind}")[0] or "")
    text = "\n".join(texts)
    return message("tool", text, tool_call_id=use_id, name=names.get(use_id), media=media)


def converse_turn(raw: Any, where: str, names: dict[str, str], role: Any = None) -> list[dict]:
    """Canonical messages from one Converse message ``{"role", "content": [block]}``.

    A user turn gives one ``tool`` message per ``toolResult`` block, then a user message for
    its text and media. An assistant turn gives one message (text + ``toolUse`` calls); a
    result of a tool Bedrock ran itself splits it around a ``tool`` message. Reasoning and
    cache points are dropped; image/document/video/audio blocks become media kinds.
    ``names`` maps toolUse ids to tool names, so results can carry the name."""
    if not isinstance(raw, dict):
        raise BadRecord(where, "not an object")
    role = role_of(raw.get("role", role), where)
    if role not in ("user", "assistant"):
        raise BadRecord(f"{where}.role", "must be user or assistant")
    content = raw.get("content")
    if not isinstance(content, list):
        raise BadRecord(f"{where}.content", "missing or not a list of blocks")
    turn, out, provider = _Turn(role), [], set()
    for i, block in enumerate(content):
        kind, value = _member(block, f"{where}.content[{i}]", MESSAGE_BLOCKS)
        at = f"{where}.content[{i}].{kind}"
        if kind == "toolUse":
            if role != "assistant":
                raise BadRecord(at, "toolUse block in a user turn")
            turn.calls.append(_tool_use(value, at, names))
            if turn.calls[-1].get("provider"):
                provider.add(turn.calls[-1]["id"])
        elif kind == "toolResult":
            result = _tool_result(value, at, names)
            if role == "assistant":
                if result["tool_call_id"] not in provider:
                    raise BadRecord(at, "toolResult block in an assistant turn")
                turn.flush(out)
            out.append(result)
        elif kind in MEDIA_BLOCKS:
            turn.media.append(media_kind(kind))
        elif kind not in SKIPPED_BLOCKS:
            text, media = _text_block(kind, value, at)
            turn.texts.extend([text] if text is not None else [])
            turn.media.extend([media] if media else [])
    turn.flush(out, always=not out)
    return out


def converse_system(raw: Any, field: str) -> list[dict]:
    """The ``system`` blocks (text, guardContent, cachePoint) as zero or one system message."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadRecord(field, "not a list")
    texts = []
    for i, block in enumerate(raw):
        kind, value = _member(block, f"{field}[{i}]", SYSTEM_BLOCKS)
        if kind != "cachePoint":
            text = _text_block(kind, value, f"{field}[{i}].{kind}")[0]
            texts.extend([text] if text else [])
    return [message("system", "\n".join(texts))] if texts else []


def _convert_tools(raw: Any, field: str) -> list[dict]:
    if not isinstance(raw, list):
        raise BadRecord(field, "not a list")
    out = []
    for i, item in enumerate(raw):
        kind, spec = _member(item, f"{field}[{i}]", ("toolSpec", "systemTool", "cachePoint"))
        at = f"{field}[{i}].{kind}"
        if kind == "cachePoint":
            continue
        if not isinstance(spec, dict):
            raise BadRecord(at, "not an object")
        schema = spec.get("inputSchema")
        params = schema.get("json") if isinstance(schema, dict) else schema
        try:
            out.append(tool(spec.get("name"), spec.get("description"), params))
        except BadRecord as exc:
            raise BadRecord(f"{at}.{exc.field.split('.')[-1]}", exc.reason) from None
    return SharedTools(out)


def converse_tools(raw: Any, field: str) -> list[dict]:
    """Canonical tools from ``toolConfig``: each ``toolSpec`` (name, description,
    ``inputSchema.json``) and ``systemTool`` (a name only); cache points are skipped."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise BadRecord(field, "not an object")
    tools = raw.get("tools")
    return [] if tools is None else _TOOLS.get(tools, f"{field}.tools", _convert_tools)


# --- calls ------------------------------------------------------------------------------


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def input_tokens(holder: Any, base_key: str, cache_keys: tuple[str, str]) -> int | None:
    """Prompt tokens: the base count plus cache-read and cache-write tokens when present."""
    base = _count(holder.get(base_key)) if isinstance(holder, dict) else None
    if base is None:
        return None
    return base + sum(_count(holder.get(key)) or 0 for key in cache_keys)


def model_name(model_id: Any) -> Any:
    """A model id as the record keeps it: an ARN (whose fields name the account) is cut to its
    resource path, e.g. ``arn:aws:bedrock:…:inference-profile/us.x`` → ``us.x``."""
    if isinstance(model_id, str) and model_id.startswith("arn:"):
        _, slash, resource = model_id.partition("/")
        return resource if slash else None
    return model_id


def converse_call(request: Any, response: Any, fields: tuple[str, str]) -> dict:
    """Pieces of one Converse call: ``{messages, tools, response, input_tokens, output_tokens,
    latency_ms, model}``; ``fields`` names where request and response sit, for errors."""
    rq, rs = fields
    if not isinstance(request, dict):
        raise BadRecord(rq, "not an object")
    if isinstance(response, list):
        raise BadRecord(rs, "streaming events; log the assembled response")
    output = require(response, "output", rs)
    names: dict[str, str] = {}
    messages = converse_system(request.get("system"), f"{rq}.system")
    turns = require(request, "messages", rq, list)
    for i, turn in enumerate(turns):
        messages += converse_turn(turn, f"{rq}.messages[{i}]", names)
    where = f"{rs}.output.message"
    answer = require(output, "message", f"{rs}.output")
    if answer.get("role", "assistant") != "assistant":
        raise BadRecord(f"{where}.role", "must be assistant")
    turns = converse_turn(answer, where, names, "assistant")
    if turns[-1]["role"] != "assistant":
        raise BadRecord(f"{where}.content", "ends with a tool result, no answer")
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    metrics = response.get("metrics") if isinstance(response.get("metrics"), dict) else {}
    return {
        "messages": messages + turns[:-1],
        "tools": converse_tools(request.get("toolConfig"), f"{rq}.toolConfig"),
        "response": turns[-1],
        "input_tokens": input_tokens(usage, "inputTokens", CACHE_KEYS),
        "output_tokens": _count(usage.get("outputTokens")),
        "latency_ms": metrics.get("latencyMs"),
        "model": model_name(request.get("modelId")),
    }


def _anthropic_call(request: dict, response: Any) -> dict | None:
    """Pieces of an ``InvokeModel`` call whose bodies are Anthropic Messages, or None."""
    if not isinstance(response, dict) or not isinstance(response.get("content"), list):
        return None
    # imported here: importing it while the formats load would register `anthropic` before
    # the formats the detection order puts ahead of it
    from slmconvert.formats.anthropic import input_tokens as anthropic_input
    from slmconvert.formats.anthropic import response_turns

    rq, rs = LOG_BODY
    names: dict[str, str] = {}
    messages = anthropic_system(request.get("system"), f"{rq}.system")
    messages += anthropic_messages(request.get("messages"), f"{rq}.messages", names)
    before, answer = response_turns(response, rs, names)
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    return {
        "messages": messages + before,
        "tools": anthropic_tools(request.get("tools"), f"{rq}.tools"),
        "response": answer,
        "input_tokens": anthropic_input(usage),
        "output_tokens": _count(usage.get("output_tokens")),
        "latency_ms": None,
        "model": None,
    }


# --- layouts ----------------------------------------------------------------------------


def _converse_response(obj: Any) -> bool:
    output = obj.get("output") if isinstance(obj, dict) else None
    return isinstance(output, dict) and isinstance(output.get("message"), dict)


def _converse_request(request: dict) -> bool:
    messages = request.get("messages")
    if not isinstance(messages, list):
        return False
    if "toolConfig" in request or "modelId" in request:
        return True
    for turn in messages:
        content = turn.get("content") if isinstance(turn, dict) else None
        for block in content if isinstance(content, list) else ():
            if (
                isinstance(block, dict)
                and "type" not in block
                and any(k in block for k in MESSAGE_BLOCKS)
            ):
                return True
    return False


def sniff(obj: Any) -> bool:
    """A Bedrock invocation log record (``schemaType: ModelInvocationLog``); a request/response
    pair whose response is a Converse response (``output.message``), or, with no response, a
    Converse request (``toolConfig``, ``modelId`` or type-less blocks); or a Converse response
    alone (``output.message`` beside ``stopReason``)."""
    if not isinstance(obj, dict):
        return False
    if obj.get("schemaType") == "ModelInvocationLog":
        return True
    request = obj.get("request")
    if isinstance(request, dict) and "response" in obj:
        response = obj["response"]
        return _converse_request(request) if response is None else _converse_response(response)
    return "request" not in obj and "stopReason" in obj and _converse_response(obj)


def _record(ctx: ParseContext, call: dict, **fallback: Any) -> dict:
    """A record from a call's pieces; ``fallback`` fills the pieces the call left null."""
    for key, value in fallback.items():
        if call.get(key) is None:
            call[key] = value
    return new_record(source=ctx.source, **call)


def _parse_pair(obj: dict, ctx: ParseContext) -> Iterator[Any]:
    response = obj.get("response")
    if response is None:
        raise BadRecord("response", "missing")
    if (
        isinstance(response, dict)
        and "output" not in response
        and ("error" in response or "Error" in response)
    ):
        yield Ignored("failed call")
        return
    call = converse_call(obj.get("request"), response, ("request", "response"))
    yield _record(
        ctx,
        call,
        model=model_name(obj.get("modelId")),
        workload=obj.get("workload_id", obj.get("workload")),
        timestamp=obj.get("timestamp", obj.get("created_at")),
        latency_ms=obj.get("latency_ms"),
        cost_usd=obj.get("cost_usd"),
    )


def _log_call(obj: dict, request: Any, response: Any) -> dict | Ignored:
    """The pieces of an invocation log record's call, or why it is not one to keep."""
    operation = obj.get("operation")
    if operation in CONVERSE_OPS:
        return converse_call(request, response, LOG_BODY)
    if operation not in INVOKE_OPS:
        return Ignored("not an LLM call")
    call = None
    if isinstance(request, dict) and "anthropic_version" in request:
        call = _anthropic_call(request, response)
    return call or Ignored("InvokeModel body not in Converse shape")


def _parse_log(obj: dict, ctx: ParseContext) -> Iterator[Any]:
    if obj.get("errorCode"):
        yield Ignored("failed call")
        return
    given, taken = obj.get("input"), obj.get("output")
    if not isinstance(given, dict):
        raise BadRecord("input", "missing or not an object")
    if not isinstance(taken, dict):
        raise BadRecord("output", "missing or not an object")
    request, response = given.get("inputBodyJson"), taken.get("outputBodyJson")
    if (request is None and given.get("inputBodyS3Path")) or (
        response is None and taken.get("outputBodyS3Path")
    ):
        yield Ignored("body stored in S3")
        return
    call = _log_call(obj, request, response) if None not in (request, response) else None
    if not isinstance(call, dict):
        yield call or Ignored("body not logged")
        return
    yield _record(
        ctx,
        call,
        model=model_name(obj.get("modelId")),
        timestamp=obj.get("timestamp"),
        input_tokens=input_tokens(given, "inputTokenCount", LOG_CACHE_KEYS),
        output_tokens=_count(taken.get("outputTokenCount")),
    )


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per Converse call; see the module docstring for what is ``Ignored``."""
    if not isinstance(obj, dict):
        raise BadRecord("record", "not an object")
    if obj.get("schemaType") == "ModelInvocationLog":
        yield from _parse_log(obj, ctx)
    elif "request" in obj:
        yield from _parse_pair(obj, ctx)
    elif _converse_response(obj):
        yield Ignored("response without its request")
    else:
        raise BadRecord("request", "missing")


PARSER = register(
    Parser(
        name="bedrock-converse",
        description="Amazon Bedrock Converse API calls and model invocation logs",
        sniff=sniff,
        parse=parse,
    )
)
