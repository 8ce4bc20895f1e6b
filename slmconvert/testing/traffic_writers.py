"""Rendering a conversation as the log lines of each format, and writing them reproducibly."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from slmconvert.testing import traffic_data as D
from slmconvert.testing.traffic_world import ASSISTANT, Conv, Gen, iso_time, json_text

WORKLOADS = {
    "routing": "primary_assistant",
    "order_status": "order_status_assistant",
    "extraction": "email_intake",
    "summarization": "ticket_handover",
    "faq": "faq_assistant",
}
LITELLM_FAILURE_RATE = 0.01


@dataclass(frozen=True)
class Model:
    """An LLM as it shows in the logs: its name, latency and price."""

    name: str
    base_ms: float
    ms_per_token: float
    usd_in: float  # per million tokens
    usd_out: float


LLAMA = Model("meta/llama-3.3-70b-instruct", 280.0, 22.0, 0.88, 0.88)
GPT4O = Model("gpt-4o-2024-08-06", 420.0, 11.0, 2.5, 10.0)
GPT4O_MINI = Model("gpt-4o-mini-2024-07-18", 350.0, 8.0, 0.15, 0.6)
SONNET = Model("claude-3-5-sonnet-20241022", 650.0, 14.0, 3.0, 15.0)
HAIKU = Model("claude-3-5-haiku-20241022", 420.0, 9.0, 0.8, 4.0)


# --- rendering a conversation in each log format ---------------------------------------------


def _timeline(g: Gen, conv: Conv, model: Model, start: float) -> list[tuple]:
    """``(start, latency_ms, input_tokens, output_tokens)`` for each LLM call of ``conv``."""
    r = g.rng
    chars, turns, t, out = len(conv.system) + _tool_chars(conv.tools), 1, start, []
    for kind, _, size in conv.turns:
        if kind in ASSISTANT:
            tokens_in = int(chars / 3.8) + 4 * turns + 3
            tokens_out = int(size / 3.6) + (16 if kind == "call" else 2)
            ms = model.base_ms + model.ms_per_token * tokens_out + 0.04 * tokens_in
            latency = round(ms * r.lognormvariate(0, 0.25), 1)
            out.append((t, latency, tokens_in, tokens_out))
            t += latency / 1000
        elif kind == "result":
            t += r.uniform(0.05, 0.9)
        elif turns > 1:
            t += r.uniform(8, 90)  # the customer reads the answer and types again
        chars += size
        turns += 1
    return out


_TOOL_CHARS: dict[int, int] = {}


def _tool_chars(tools: tuple) -> int:
    if id(tools) not in _TOOL_CHARS:
        _TOOL_CHARS[id(tools)] = len(json_text(list(tools))) if tools else 0
    return _TOOL_CHARS[id(tools)]


def _openai_tools(tools: tuple) -> list[dict]:
    return [{"type": "function", "function": t} for t in tools]


def _openai_messages(conv: Conv, ids: dict, object_args=False, fine_tune=False) -> list[dict]:
    """OpenAI chat messages; index ``i + 1`` holds turn ``i`` (index 0 is the system prompt)."""
    msgs: list[dict] = [{"role": "system", "content": conv.system}]
    for i, (kind, payload, _) in enumerate(conv.turns):
        if kind == "call":
            name, args = payload
            call = {"id": ids[i]} if ids else {}
            call |= {
                "type": "function",
                "function": {"name": name, "arguments": args if object_args else json_text(args)},
            }
            head = (
                {"role": "assistant"}
                if fine_tune
                else {"role": "assistant", "content": "" if object_args else None}
            )
            msgs.append(head | {"tool_calls": [call]})
        elif kind == "result":
            msgs.append({"role": "tool", "tool_call_id": ids.get(i - 1), "content": payload})
        else:
            msgs.append({"role": "user" if kind == "user" else "assistant", "content": payload})
    return msgs


def _completion(g: Gen, model: Model, call: tuple, msg: dict, openai_ids=False) -> dict:
    """A ``chat.completion`` object for one call (OpenAI-style or NIM-style ids)."""
    ts, _, tokens_in, tokens_out = call
    out = {
        "id": "chatcmpl-" + (g.token(29) if openai_ids else g.hex()),
        "object": "chat.completion",
        "created": int(ts),
        "model": model.name,
        "choices": [
            {
                "index": 0,
                "message": msg,
                "logprobs": None,
                "finish_reason": "tool_calls" if msg.get("tool_calls") else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }
    if openai_ids:
        out["system_fingerprint"] = "fp_" + g.hex(40)
    return out


def render_openai(g: Gen, conv: Conv, start: float) -> list[tuple[dict, int]]:
    """NVIDIA Data Flywheel records: one request/response pair per LLM call."""
    minimal = conv.task == "routing" and g.rng.random() < 0.35  # shaped like the public sample
    ids = {} if minimal else {i: "chatcmpl-tool-" + g.hex() for i in conv.calls()}
    msgs = _openai_messages(conv, ids, object_args=minimal)
    tools = {"tools": _openai_tools(conv.tools)} if conv.tools else {}
    lines = []
    for i, call in zip(conv.calls(), _timeline(g, conv, LLAMA, start), strict=True):
        msg = msgs[i + 1]
        response = {"choices": [{"message": msg}]} if minimal else _completion(g, LLAMA, call, msg)
        record = {
            "request": {"model": LLAMA.name, "messages": msgs[: i + 1]} | tools,
            "response": response,
            "workload_id": WORKLOADS[conv.task],
            "client_id": "aiva-1",
            "timestamp": int(call[0]),
        }
        lines.append((record, 1))
    return lines


def render_litellm(g: Gen, conv: Conv, start: float) -> list[tuple[dict, int]]:
    """LiteLLM proxy StandardLoggingPayload lines, with the odd rate-limited attempt (0 calls)."""
    r = g.rng
    model = GPT4O_MINI if conv.task == "faq" and r.random() < 0.6 else GPT4O
    msgs = _openai_messages(conv, {i: "call_" + g.token(24) for i in conv.calls()})
    params = {"temperature": 0.2, "max_tokens": 1024}
    if conv.tools:
        params |= {"tools": _openai_tools(conv.tools), "tool_choice": "auto"}
    trace = "-".join(g.hex(bits) for bits in (32, 16, 16, 16, 48))
    lines = []
    for i, call in zip(conv.calls(), _timeline(g, conv, model, start), strict=True):
        ts, latency, tokens_in, tokens_out = call
        ip = f"10.20.{r.randint(0, 255)}.{r.randint(1, 254)}"
        common = {
            "trace_id": trace,
            "call_type": "acompletion",
            "stream": False,
            "model": model.name,
            "model_group": model.name.rsplit("-", 3)[0],
            "custom_llm_provider": "openai",
            "api_base": "https://api.openai.com/v1",
            "messages": msgs[: i + 1],
            "model_parameters": params,
            "metadata": D.LITELLM_KEY | {"requester_ip_address": ip},
            "cache_hit": False,
            "end_user": conv.customer,
            "request_tags": ["gear-store"],
        }
        if r.random() < LITELLM_FAILURE_RATE:  # a rate-limited attempt, retried at once
            failed = {
                "id": g.hex(),
                **common,
                "status": "failure",
                "response_cost": 0.0,
                "response": None,
                "prompt_tokens": tokens_in,
                "completion_tokens": 0,
                "total_tokens": tokens_in,
                "startTime": round(ts - 2.1, 3),
                "endTime": round(ts - 1.9, 3),
                "error_str": D.RATE_LIMIT.format(model=model.name),
                "error_information": D.RATE_LIMIT_INFO,
            }
            lines.append((failed, 0))
        response = _completion(g, model, call, msgs[i + 1], openai_ids=True)
        cost = round((tokens_in * model.usd_in + tokens_out * model.usd_out) / 1e6, 8)
        end = round(ts + latency / 1000, 3)
        done = {
            "id": response["id"],
            **common,
            "status": "success",
            "response_cost": cost,
            "response": response,
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
            "startTime": round(ts, 3),
            "endTime": end,
            "completionStartTime": end,
            "error_str": None,
        }
        lines.append((done, 1))
    return lines


def _anthropic_messages(g: Gen, conv: Conv, ids: dict) -> list[dict]:
    """Anthropic messages; index ``i`` holds turn ``i``. Tool results ride in a user turn."""
    r, msgs = g.rng, []
    for i, (kind, payload, _) in enumerate(conv.turns):
        if kind == "user":
            content = payload if r.random() < 0.8 else [{"type": "text", "text": payload}]
            msgs.append({"role": "user", "content": content})
        elif kind == "call":
            say = conv.task != "routing" and r.random() < 0.4
            pre = [{"type": "text", "text": r.choice(D.CLAUDE_PRE)}] if say else []
            use = {"type": "tool_use", "id": ids[i], "name": payload[0], "input": payload[1]}
            msgs.append({"role": "assistant", "content": [*pre, use]})
        elif kind == "result":
            block = {"type": "tool_result", "tool_use_id": ids[i - 1], "content": payload}
            msgs.append({"role": "user", "content": [block]})
        else:
            msgs.append({"role": "assistant", "content": [{"type": "text", "text": payload}]})
    return msgs


def render_anthropic(g: Gen, conv: Conv, start: float) -> list[tuple[dict, int]]:
    """Anthropic Messages API request/response pairs, one per LLM call."""
    r = g.rng
    model = HAIKU if conv.task in ("summarization", "faq") and r.random() < 0.5 else SONNET
    cached = r.random() < 0.4
    system = (
        [{"type": "text", "text": conv.system, "cache_control": {"type": "ephemeral"}}]
        if cached
        else conv.system
    )
    msgs = _anthropic_messages(g, conv, {i: "toolu_01" + g.token(22) for i in conv.calls()})
    tools = [
        {"name": t["name"], "description": t["description"], "input_schema": t["parameters"]}
        for t in conv.tools
    ]
    prefix_tokens = int((len(conv.system) + _tool_chars(conv.tools)) / 3.8)
    lines = []
    for n, (i, call) in enumerate(zip(conv.calls(), _timeline(g, conv, model, start), strict=True)):
        ts, latency, tokens_in, tokens_out = call
        request = {"model": model.name, "max_tokens": 1024, "system": system, "messages": msgs[:i]}
        if tools:
            request["tools"] = tools
            if conv.task == "routing":
                request["tool_choice"] = {"type": "any"}
        read = prefix_tokens if cached and n else 0
        usage = {
            "input_tokens": tokens_in - (prefix_tokens if cached else 0),
            "cache_creation_input_tokens": prefix_tokens if cached and not n else 0,
            "cache_read_input_tokens": read,
            "output_tokens": tokens_out,
        }
        content = msgs[i]["content"]
        response = {
            "id": "msg_01" + g.token(22),
            "type": "message",
            "role": "assistant",
            "model": model.name,
            "content": content,
            "stop_reason": "tool_use" if content[-1]["type"] == "tool_use" else "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
        record = {"request": request, "response": response, "timestamp": iso_time(ts)}
        lines.append((record | {"latency_ms": latency}, 1))
    return lines


def render_finetune(g: Gen, conv: Conv, start: float) -> list[tuple[dict, int]]:
    """One OpenAI fine-tuning line per conversation; each assistant turn is an LLM call."""
    ids = {i: "call_" + g.token(24) for i in conv.calls()}
    line = {"messages": _openai_messages(conv, ids, fine_tune=True)}
    if conv.tools:
        line |= {"tools": _openai_tools(conv.tools), "parallel_tool_calls": False}
    return [(line, len(conv.calls()))]


RENDERERS = {
    "openai": render_openai,
    "anthropic": render_anthropic,
    "openai-finetune": render_finetune,
    "litellm": render_litellm,
}


# --- writing ---------------------------------------------------------------------------------


class JsonlWriter:
    """Buffered JSONL writer; gzip members carry mtime 0 and no name, so bytes are reproducible."""

    def __init__(self, path: Path, compress: bool):
        self.raw = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.out = gzip.GzipFile("", "wb", 6, self.raw, mtime=0) if compress else self.raw
        self.buf: list[bytes] = []
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.buf.append(data)
        self.lines += 1
        if len(self.buf) >= 1024:
            self.flush()
        return self.lines

    def flush(self) -> None:
        if self.buf:
            self.out.write(b"\n".join(self.buf) + b"\n")
            self.buf.clear()

    def close(self) -> None:
        self.flush()
        self.out.close()
        self.raw.close()
