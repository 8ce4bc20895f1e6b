"""Read tool calls out of generated text, one parser per chat-template tool format.

Each parser turns a model's raw output into an Answer: ``tool_calls`` when the format's markup
holds well-formed calls, ``text`` when there is no markup, ``invalid`` when there is markup but it
does not parse. Parsers never raise on model output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from slmconvert.core.errors import ConfigError
from slmconvert.evaluation.answers import Answer, Call, invalid_answer, make_call, text_answer

Parser = Callable[[str], Answer]

_DECODER = json.JSONDecoder()
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S)
_END_OF_TURN = re.compile(
    r"<\|im_end\|>|<\|eot_id\|>|<\|eom_id\|>|<\|end_of_text\|>|<\|endoftext\|>|<\|end\|>"
    r"|<end_of_turn>|<\|return\|>|</s>"
)


def clean(text: str) -> str:
    """The answer proper: everything after the end of the turn and the reasoning cut.

    Reasoning is a ``<think>...</think>`` block, or everything up to a ``</think>`` whose opening
    tag was in the prompt; an unclosed ``<think>`` means the model never got to answer.
    """
    text = _END_OF_TURN.split(text, maxsplit=1)[0]
    return _THINK.sub("", text).rpartition("</think>")[2]


def _calls(objects: list, arguments_keys: tuple[str, ...] = ("arguments",)) -> list[Call] | str:
    calls = []
    for obj in objects:
        call = make_call(obj, arguments_keys)
        if isinstance(call, str):
            return call
        calls.append(call)
    return calls if calls else "tool call list is empty"


def _decode(body: str) -> object | str:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return "tool call JSON does not parse"


def tagged(open_tag: str, close_tag: str, listed: bool, close_optional: bool = False) -> Parser:
    """A parser for calls wrapped in ``open_tag ... close_tag``; the body is a JSON object per
    block, or (``listed``) a JSON list of objects. With ``close_optional`` a block the model
    did not close counts when its body is complete JSON (Phi-4-mini often drops the tag)."""
    pattern = re.compile(re.escape(open_tag) + r"(.*?)(" + re.escape(close_tag) + r"|$)", re.S)

    def parse(output: str) -> Answer:
        text = clean(output)
        blocks = pattern.findall(text)
        prose = pattern.sub("", text)
        if not blocks:
            return text_answer(text)
        calls: list[Call] = []
        for body, closed in blocks:
            decoded = _decode(body.strip())
            if not closed and (not close_optional or isinstance(decoded, str)):
                return invalid_answer(f"{open_tag} is not closed", prose)
            if isinstance(decoded, str):
                return invalid_answer(decoded, prose)
            if listed and not isinstance(decoded, list):
                decoded = [decoded]
            found = _calls(decoded if listed else [decoded])
            if isinstance(found, str):
                return invalid_answer(found, prose)
            calls.extend(found)
        return Answer("tool_calls", calls=tuple(calls), text=prose.strip())

    return parse


def _decode_prefix(text: str) -> tuple[object, str] | str:
    """The JSON value at the start of ``text`` and the text after it, or an error."""
    text = text.lstrip()
    try:
        value, end = _DECODER.raw_decode(text)
    except (ValueError, RecursionError):
        return "tool call JSON does not parse"
    return value, text[end:]


def _json_sequence(text: str, separator: str) -> tuple[list, str] | str:
    """JSON values separated by ``separator``, and the text after the last, or an error."""
    values = []
    while True:
        decoded = _decode_prefix(text)
        if isinstance(decoded, str):
            return decoded
        value, text = decoded
        values.append(value)
        rest = text.lstrip()
        if not rest.startswith(separator) or not rest[len(separator) :].strip():
            return values, rest.removeprefix(separator).strip()
        text = rest[len(separator) :]


def parse_llama3(output: str) -> Answer:
    """Llama 3.x: a bare ``{"name": ..., "parameters": {...}}`` object, optionally after
    ``<|python_tag|>``; several calls separated by ``;``. A JSON object without a name and
    parameters is a plain (JSON) text answer."""
    text = clean(output)
    tagged_call = "<|python_tag|>" in text
    before, _, body = text.rpartition("<|python_tag|>") if tagged_call else ("", "", text)
    body = body.strip()
    if not tagged_call and not body.startswith("{"):
        return text_answer(text)
    keys = ("parameters", "arguments")
    decoded = _json_sequence(body, ";")
    if isinstance(decoded, str):
        if tagged_call or re.search(r'"name"\s*:', body):
            return invalid_answer(decoded, before)
        return text_answer(text)
    objects, trailing = decoded
    first = objects[0]
    looks_like_call = isinstance(first, dict) and "name" in first and any(k in first for k in keys)
    if not tagged_call and not looks_like_call:
        return text_answer(text)
    found = _calls(objects, keys)
    if isinstance(found, str):
        return invalid_answer(found, before)
    return Answer("tool_calls", calls=tuple(found), text=(before + " " + trailing).strip())


_MISTRAL_NAMED = re.compile(r"\s*([\w.\-]+)\[ARGS\]")


def parse_mistral(output: str) -> Answer:
    """Mistral: ``[TOOL_CALLS] [{"name": ..., "arguments": {...}}, ...]`` (v3 tokenizers), or
    ``[TOOL_CALLS]name[ARGS]{...}`` (newer ones)."""
    text = clean(output)
    prose, *segments = text.split("[TOOL_CALLS]")
    if not segments:
        return text_answer(text)
    calls: list[Call] = []
    for segment in segments:
        named = _MISTRAL_NAMED.match(segment)
        body = segment[named.end() :] if named else segment
        decoded = _decode_prefix(body)
        if isinstance(decoded, str):
            return invalid_answer(decoded, prose)
        value, trailing = decoded
        if named:
            value = [{"name": named.group(1), "arguments": value}]
        found = _calls(value if isinstance(value, list) else [value])
        if isinstance(found, str):
            return invalid_answer(found, prose)
        calls.extend(found)
        prose += " " + trailing
    return Answer("tool_calls", calls=tuple(calls), text=prose.strip())


PARSERS: dict[str, Parser] = {}


def register(name: str, parser: Parser) -> None:
    """Add a parser under ``name``; a name already taken is an error."""
    if name in PARSERS:
        raise ConfigError(f"tool-call format '{name}' is already registered")
    PARSERS[name] = parser


def get(name: str) -> Parser:
    """The parser registered as ``name``."""
    try:
        return PARSERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown tool-call format '{name}'", f"known formats: {', '.join(sorted(PARSERS))}"
        ) from None


def parse(output: str, format: str) -> Answer:
    """A model's raw output as an Answer, read with the parser registered as ``format``."""
    return get(format)(output)


register("hermes", tagged("<tool_call>", "</tool_call>", listed=False))
register("llama3", parse_llama3)
register("mistral", parse_mistral)
register("phi4", tagged("<|tool_call|>", "<|/tool_call|>", listed=True, close_optional=True))
register("nemotron", tagged("<TOOLCALL>", "</TOOLCALL>", listed=True))

# Catalog ``tool_format`` descriptions are free text; the first marker found names the parser.
_FORMAT_MARKERS = (
    ("<toolcall>", "nemotron"),
    ("[tool_calls]", "mistral"),
    ("<|tool", "phi4"),
    ("llama", "llama3"),
    ("python_tag", "llama3"),
    ("<tool_call>", "hermes"),
    ("hermes", "hermes"),
)


def parser_for(tool_format: str | None, default: str | None = "hermes") -> str | None:
    """The parser name for a catalog ``tool_format`` description (or a parser name).

    A description that names no known format gives ``default``: Hermes ``<tool_call>`` JSON, the
    most common format among small open models (Qwen, SmolLM, the tiny test model). Pass
    ``default=None`` to learn that the format was not recognised.
    """
    if not tool_format:
        return default
    if tool_format in PARSERS:
        return tool_format
    lowered = tool_format.lower()
    for marker, name in _FORMAT_MARKERS:
        if marker in lowered:
            return name
    return default
