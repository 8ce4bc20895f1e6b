"""Where the gateway sends a request: an OpenAI-compatible server, or a model in this process.

`OpenAIUpstream` speaks to any OpenAI-compatible base URL (vLLM serving the adapters as LoRA
modules, a hosted API, a LiteLLM proxy) through one pooled `httpx.AsyncClient`; its key comes
only from the environment. `TransformersBackend` serves a base model plus PEFT adapters in this
process for CPU and development, with eval's generation and tool-call parsing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson

from slmconvert.gateway.answers import to_message


class UpstreamError(Exception):
    """An upstream did not answer usably; ``reason`` is from a fixed list."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class OpenAIUpstream:
    """An OpenAI-compatible base URL (including ``/v1``)."""

    def __init__(self, base_url: str, api_key_env: str | None = None, timeout_s: float = 60.0):
        import httpx

        self.base_url = base_url.rstrip("/")
        key = os.environ.get(api_key_env) if api_key_env else None
        self.headers = {"authorization": f"Bearer {key}"} if key else {}
        self.timeout = timeout_s
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def chat(self, body: dict, timeout_s: float | None = None) -> dict:
        """The completion for ``body`` (never streamed); an UpstreamError otherwise."""
        import httpx

        try:
            response = await self.client.post(
                f"{self.base_url}/chat/completions",
                content=orjson.dumps({**body, "stream": False}),
                headers=self.headers | {"content-type": "application/json"},
                timeout=timeout_s or self.timeout,
            )
        except httpx.TimeoutException:
            raise UpstreamError("timeout") from None
        except httpx.HTTPError:
            raise UpstreamError("unreachable") from None
        if response.status_code >= 400:
            raise UpstreamError("upstream_status", response.status_code)
        try:
            doc = orjson.loads(response.content)
            doc["choices"][0]["message"]
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
            raise UpstreamError("garbage") from None
        return doc

    async def stream(self, body: dict) -> AsyncIterator[bytes]:
        """The upstream's SSE bytes for a streamed request, passed through as they come."""
        import httpx

        try:
            async with self.client.stream(
                "POST",
                f"{self.base_url}/chat/completions",
                content=orjson.dumps(body),
                headers=self.headers | {"content-type": "application/json"},
            ) as response:
                if response.status_code >= 400:
                    raise UpstreamError("upstream_status", response.status_code)
                async for chunk in response.aiter_raw():
                    yield chunk
        except httpx.TimeoutException:
            raise UpstreamError("timeout") from None
        except httpx.HTTPError:
            raise UpstreamError("unreachable") from None


class TransformersBackend:
    """A base model and its adapters in this process; one generation at a time."""

    def __init__(self, deploy_dir: Path, served: list[dict], max_new_tokens: int = 256):
        self.deploy_dir = deploy_dir
        self.served = {s["lora_name"]: s for s in served}
        self.max_new_tokens = max_new_tokens
        self._models: dict[str, tuple[Any, Any]] = {}
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        self._models.clear()

    def _load(self, name: str):
        if name not in self._models:
            from slmconvert.training.models import ModelRef, device, load_adapted

            entry = self.served[name]
            ref = ModelRef(entry.get("model") or name, entry["base"], entry.get("tool_format", ""))
            adapter = self.deploy_dir / entry["adapter"]
            self._models[name] = load_adapted(ref, adapter, entry["kind"], on=device())
        return self._models[name]

    def _generate(self, name: str, body: dict) -> dict:
        from slmconvert.core.errors import BadRecord
        from slmconvert.evaluation.generate import generate
        from slmconvert.evaluation.toolcalls import parse
        from slmconvert.formats.common import openai_messages
        from slmconvert.gateway.answers import tools_of
        from slmconvert.training.examples import Skip, TemplateFailure, render_prompt
        from slmconvert.training.templates import profile_of

        model, tokenizer = self._load(name)
        try:  # the same canonical messages collect makes of a logged request
            messages = openai_messages(body.get("messages") or [], "messages")
        except BadRecord:
            raise UpstreamError("unparsable_request") from None
        record = {"messages": messages, "tools": tools_of(body)}
        entry = self.served[name]
        profile = profile_of(entry, tokenizer)
        try:
            prompt = render_prompt(tokenizer, record, profile)
        except (Skip, TemplateFailure):
            raise UpstreamError("template") from None
        [[out]] = generate(model, tokenizer, [prompt], batch_size=1,
                           max_new_tokens=body.get("max_tokens") or self.max_new_tokens)  # fmt: skip
        answer = parse(out.text, profile.parser)
        if not answer.valid:
            raise UpstreamError("garbage")
        ids = [f"call_{i}" for i in range(len(answer.calls))]
        return _completion(name, to_message(answer, ids), out.tokens)

    async def chat(self, body: dict, timeout_s: float | None = None) -> dict:
        name = body.get("model")
        if name not in self.served:
            raise UpstreamError("unknown_model")
        async with self._lock:
            try:
                return await asyncio.wait_for(
                    asyncio.to_thread(self._generate, name, body), timeout_s
                )
            except TimeoutError:
                raise UpstreamError("timeout") from None


def _completion(model: str, message: dict, tokens: int) -> dict:
    import time
    import uuid

    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens},
    }
