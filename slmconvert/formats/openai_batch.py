"""`openai-batch`: OpenAI Batch API output JSONL, joined with its input file on ``custom_id``.

Output line: ``{"id", "custom_id", "response": {"status_code", "request_id", "body":
<chat.completion>}, "error"}``. The request (prompt, tools) is only in the batch *input* file,
``{"custom_id", "method", "url", "body": <request>}``, read as the side input
``openai-batch-input``. Lines with an ``error`` or a non-200 status are failed calls (ignored,
counted by reason).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import new_record
from slmconvert.formats.common import openai_completion, openai_messages, openai_tools
from slmconvert.formats.registry import Ignored, ParseContext, Parser, SideInput, register

SIDE_NAME = "openai-batch-input"


def sniff_input(obj: Any) -> bool:
    """A batch input line: ``custom_id``, ``method``, ``url`` and a ``body`` object."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("custom_id"), str)
        and isinstance(obj.get("method"), str)
        and isinstance(obj.get("url"), str)
        and isinstance(obj.get("body"), dict)
    )


def index_input(obj: dict) -> list[tuple[str, Any]]:
    """``[(custom_id, request body)]`` of a batch input line, stored for the output lines."""
    custom_id = obj.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise BadRecord("custom_id", "missing or not a string")
    body = obj.get("body")
    if not isinstance(body, dict):
        raise BadRecord("body", "missing or not an object")
    return [(custom_id, body)]


def sniff(obj: Any) -> bool:
    """A batch output line: ``custom_id`` plus a ``response`` that is null or holds a body/status."""
    if not isinstance(obj, dict) or not isinstance(obj.get("custom_id"), str):
        return False
    if "response" not in obj or "body" in obj:
        return False
    response = obj["response"]
    if response is None:
        return "error" in obj
    return isinstance(response, dict) and ("body" in response or "status_code" in response)


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per successful output line; failed calls are ``Ignored``."""
    if not isinstance(obj, dict):
        raise BadRecord("response", "line is not an object")
    response = obj.get("response")
    if obj.get("error") is not None or not isinstance(response, dict):
        yield Ignored("failed call")
        return
    if response.get("status_code", 200) != 200:
        yield Ignored("failed call")
        return
    body = response.get("body")
    if not isinstance(body, dict):
        raise BadRecord("response.body", "missing or not an object")
    if body.get("object") in ("list", "embedding"):
        yield Ignored("embeddings call")
        return
    custom_id = obj.get("custom_id")
    if not isinstance(custom_id, str):
        raise BadRecord("custom_id", "missing or not a string")
    request = ctx.side.get(SIDE_NAME, {}).get(custom_id)
    if not isinstance(request, dict):
        raise BadRecord(
            "custom_id", "no matching line in a batch input file; pass the input file too"
        )
    done = openai_completion(body, "response.body")
    yield new_record(
        source=ctx.source,
        messages=openai_messages(request.get("messages"), "input.body.messages"),
        tools=openai_tools(request.get("tools", request.get("functions")), "input.body.tools"),
        response=done["response"],
        model=done["model"] or request.get("model"),
        timestamp=body.get("created"),
        input_tokens=done["input_tokens"],
        output_tokens=done["output_tokens"],
    )


PARSER = register(
    Parser(
        name="openai-batch",
        description="OpenAI Batch API output JSONL, joined with its input file on custom_id",
        sniff=sniff,
        parse=parse,
        side_input=SideInput(name=SIDE_NAME, sniff=sniff_input, index=index_input),
    )
)
