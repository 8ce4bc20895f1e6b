"""Logged traffic played back: `replay-llm` answers as the LLM did, `replay` sends the requests.

Logs of any format `collect` reads become canonical records; each record is an OpenAI request
(its messages and tools) and the completion the LLM logged for it. `replay-llm` is an
OpenAI-compatible server that answers a request with the response logged for the same messages
(an OpenAI-style 404 for one it never saw): offline what-if runs, the demo and the tests use it
as "the LLM". `replay` sends logged requests to a gateway and tallies arms, fallbacks and latency.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import orjson
import xxhash

from slmconvert.core.errors import InputError


def read_records(logs: list[str], columns: list[str] | None = None) -> list[dict]:
    """The canonical records of ``logs`` (collected into a private temporary directory)."""
    from slmconvert.core.config import CollectConfig
    from slmconvert.core.stagedir import open_input
    from slmconvert.stages import collect

    with tempfile.TemporaryDirectory(prefix="slmconvert-replay-") as tmp:
        collect.run(logs, Path(tmp) / "calls", CollectConfig(workers=1, dedup=False))
        return open_input(Path(tmp) / "calls").read_table(columns=columns).to_pylist()


def key_of(messages: list[dict]) -> str:
    """What identifies a request: its turns' roles, texts and tool calls (ids left out)."""
    turns = [
        (m["role"], m.get("content") or "",
         [(c["name"], c["arguments"]) for c in m.get("tool_calls") or []])
        for m in messages
    ]  # fmt: skip
    return xxhash.xxh3_128_hexdigest(orjson.dumps(turns))


def request_of(record: dict, model: str | None = None) -> dict:
    """The OpenAI chat request a canonical record logged."""
    messages = []
    for m in record["messages"]:
        msg = {"role": m["role"], "content": m.get("content")}
        if m.get("tool_calls"):
            msg["tool_calls"] = [
                {"id": c.get("id") or f"call_{i}", "type": "function",
                 "function": {"name": c["name"], "arguments": c["arguments"]}}
                for i, c in enumerate(m["tool_calls"])
            ]  # fmt: skip
        if m.get("tool_call_id"):
            msg["tool_call_id"] = m["tool_call_id"]
        if m.get("name"):
            msg["name"] = m["name"]
        messages.append(msg)
    body = {"model": model or record.get("model") or "llm", "messages": messages}
    if record.get("tools"):
        body["tools"] = [
            {"type": "function", "function": {"name": t["name"], "description": t.get("description") or "",
                                              "parameters": orjson.loads(t.get("parameters") or "{}")}}
            for t in record["tools"]
        ]  # fmt: skip
    return body


def completion_of(record: dict) -> dict:
    """The OpenAI chat completion a canonical record logged as the LLM's answer."""
    answer = request_of({"messages": [record["response"]]})["messages"][0]
    usage = record.get("usage") or {}
    inp, out = usage.get("input_tokens") or 0, usage.get("output_tokens") or 0
    return {
        "id": f"chatcmpl-replay-{record['id'][:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": record.get("model") or "llm",
        "choices": [
            {
                "index": 0,
                "message": answer,
                "finish_reason": "tool_calls" if answer.get("tool_calls") else "stop",
            }
        ],  # fmt: skip
        "usage": {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out},
    }


def build_replay_llm(records: list[dict]):
    """A Starlette app answering each logged request with its logged response."""
    from starlette.applications import Starlette
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    from slmconvert.core.errors import BadRecord
    from slmconvert.formats.common import openai_messages
    from slmconvert.gateway.app import _sse, error

    answers = {key_of(r["messages"]): completion_of(r) for r in records}

    async def chat(request):
        try:
            body = orjson.loads(await request.body())
            messages = openai_messages(body.get("messages"), "messages")
        except (orjson.JSONDecodeError, AttributeError, BadRecord):
            return error(400, "not a chat completion request", "invalid_request_error")
        found = answers.get(key_of(messages))
        if found is None:
            return error(404, "no logged response for this request", "not_found_error")
        if body.get("stream"):
            return StreamingResponse(_sse(found), media_type="text/event-stream")
        return Response(orjson.dumps(found), media_type="application/json")

    async def models(request):
        names = sorted({a["model"] for a in answers.values()})
        data = [{"id": n, "object": "model", "owned_by": "replay"} for n in names]
        return Response(
            orjson.dumps({"object": "list", "data": data}), media_type="application/json"
        )

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                             Route("/v1/models", models, methods=["GET"])])  # fmt: skip


def stage_dir(workdir: str | Path, name: str) -> Path:
    """A recipe work directory's ``NN_<name>`` stage directory (the last, when several)."""
    found = sorted(Path(workdir).glob(f"*_{name}"))
    if not found:
        raise InputError(
            f"{workdir}: no {name} stage directory (NN_{name}) here", "run `slmconvert run` first"
        )
    return found[-1]


def held_out(workdir: str | Path, split: str = "eval") -> set[tuple[str, int]]:
    """(file name, line) of the calls a pipeline's cluster stage put in ``split``."""
    from slmconvert.core.stagedir import open_input

    rows = open_input(stage_dir(workdir, "cluster")).read_table(columns=["source", "split"])
    rows = rows.to_pylist()
    return {(os.path.basename(r["source"]["file"]), r["source"]["line"])
            for r in rows if r["split"] == split}  # fmt: skip


async def replay(requests: list[dict], url: str, *, concurrency: int = 8, rate: float = 0.0,
                 api_key: str | None = None, timeout_s: float = 120.0) -> dict:  # fmt: skip
    """Send ``requests`` to the OpenAI base ``url``; arms, fallbacks, statuses and latency."""
    import httpx

    arms, reasons, statuses, latencies = Counter(), Counter(), Counter(), []
    gate = asyncio.Semaphore(concurrency)
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}

    async def one(client, i: int, body: dict) -> None:
        if rate:
            await asyncio.sleep(i / rate)  # open loop: a fixed schedule of sends
        async with gate:
            t0 = time.perf_counter()
            try:
                r = await client.post(
                    f"{url.rstrip('/')}/chat/completions", json=body, headers=headers
                )
            except httpx.HTTPError:
                statuses["error"] += 1
                return
            latencies.append((time.perf_counter() - t0) * 1000)
            statuses[r.status_code] += 1
            arms[r.headers.get("x-slmconvert-arm", "?")] += 1
            if r.headers.get("x-slmconvert-fallback-reason"):
                reasons[r.headers["x-slmconvert-fallback-reason"]] += 1

    async with httpx.AsyncClient(timeout=timeout_s) as client:
        await asyncio.gather(*(one(client, i, b) for i, b in enumerate(requests)))
    latencies.sort()

    def pct(q: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2)
            if latencies
            else None
        )

    return {"sent": len(requests), "statuses": dict(statuses), "arms": dict(arms),
            "fallbacks": dict(reasons), "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99)}}  # fmt: skip
