"""`langsmith`: LangSmith run exports (an element of a JSON array, or a JSONL line).

Only ``run_type == "llm"`` runs are LLM calls: other runs yield ``Ignored("not an LLM call")``,
runs with an ``error`` yield ``Ignored("failed call")``. Messages may be OpenAI-, Anthropic- or
LangChain-shaped: ``{"type":"human","data":{...}}``, flat ``{"type":"ai","content",...}`` or
serialized ``{"lc":1,"id":[...,"AIMessage"],"kwargs":{...}}``. `chat_messages`, `response_of`,
`obj_at` and `elapsed_ms` are also used by `langfuse` and `litellm`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slmconvert.core.errors import BadRecord
from slmconvert.core.records import message, new_record
from slmconvert.formats.chat import chat_messages, elapsed_ms, obj_at, response_of
from slmconvert.formats.common import (
    anthropic_system,
    openai_tools,
)
from slmconvert.formats.registry import Ignored, ParseContext, Parser, register


def _prompt(inputs: Any) -> list[dict]:
    """Canonical prompt messages from a run's ``inputs``."""
    if not isinstance(inputs, dict):
        raise BadRecord("inputs", "missing or not an object")
    system = anthropic_system(inputs.get("system"), "inputs.system")
    if "messages" in inputs:
        return system + chat_messages(inputs["messages"], "inputs.messages")
    prompts = inputs.get("prompts", inputs.get("prompt"))
    if isinstance(prompts, list) and len(prompts) == 1:
        prompts = prompts[0]
    if isinstance(prompts, str):
        return system + [message("user", prompts)]
    raise BadRecord("inputs.messages", "missing or not a list")


def sniff(obj: Any) -> bool:
    """A LangSmith run: a ``run_type`` string beside ``inputs``."""
    return isinstance(obj, dict) and isinstance(obj.get("run_type"), str) and "inputs" in obj


def parse(obj: Any, ctx: ParseContext) -> Iterator[Any]:
    """One record per ``llm`` run; other run types and failed runs yield ``Ignored``."""
    if not isinstance(obj, dict):
        raise BadRecord("run", "not an object")
    if obj.get("run_type") != "llm":
        yield Ignored("not an LLM call")
        return
    if obj.get("error") or obj.get("status") == "error":
        yield Ignored("failed call")
        return
    extra = obj_at(obj, "extra")
    meta, params = obj_at(extra, "metadata"), obj_at(extra, "invocation_params")
    model = meta.get("ls_model_name") or params.get("model") or params.get("model_name")
    inputs = obj.get("inputs")
    messages = _prompt(inputs)
    if isinstance(inputs.get("tools"), list):
        tools = openai_tools(inputs["tools"], "inputs.tools")
    else:
        key = "tools" if "tools" in params else "functions"
        tools = openai_tools(params.get(key), f"extra.invocation_params.{key}")
    done = response_of(obj.get("outputs"), "outputs")
    prompt_tokens, completion_tokens = obj.get("prompt_tokens"), obj.get("completion_tokens")
    yield new_record(
        source=ctx.source,
        messages=messages,
        tools=tools,
        response=done["response"],
        model=done["model"] or model,
        timestamp=obj.get("start_time"),
        input_tokens=done["input_tokens"] if prompt_tokens is None else prompt_tokens,
        output_tokens=done["output_tokens"] if completion_tokens is None else completion_tokens,
        latency_ms=elapsed_ms(obj.get("start_time"), obj.get("end_time")),
        cost_usd=obj.get("total_cost"),
    )


PARSER = register(
    Parser(
        name="langsmith",
        description="LangSmith run exports (llm runs; OpenAI, Anthropic or LangChain messages)",
        sniff=sniff,
        parse=parse,
    )
)
