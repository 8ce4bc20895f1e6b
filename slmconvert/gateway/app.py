"""The gateway's HTTP face: an OpenAI-compatible Starlette app.

``POST /v1/chat/completions`` (streamed or not), ``GET /v1/models``, ``GET /healthz`` and
``GET /metrics`` (Prometheus). Every answer carries ``x-slmconvert-cluster`` and
``x-slmconvert-arm`` (``llm``, ``slm``, ``shadow``, ``fallback``) and, on a fallback,
``x-slmconvert-fallback-reason``. Errors are OpenAI-shaped; no request content ever reaches the
gateway's own log lines or error messages.
"""

from __future__ import annotations

import contextlib
import hmac
import time

import orjson

from slmconvert.gateway.core import Gateway

MAX_BODY = 4 * 2**20


class Metrics:
    """The gateway's Prometheus metrics, in a registry of their own."""

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("slmconvert_requests", "Requests by arm and cluster.",
                                ["arm", "cluster"], registry=self.registry)  # fmt: skip
        self.fallbacks = Counter("slmconvert_fallbacks", "SLM answers replaced by the LLM's.",
                                 ["reason"], registry=self.registry)  # fmt: skip
        self.ineligible = Counter("slmconvert_ineligible", "Requests the SLM cannot serve.",
                                  ["reason"], registry=self.registry)  # fmt: skip
        self.dropped = Counter("slmconvert_shadow_dropped", "Shadow or audit copies dropped "
                               "because the queue was full.", registry=self.registry)  # fmt: skip
        self.errors = Counter("slmconvert_background_errors", "Background jobs that failed.",
                              registry=self.registry)  # fmt: skip
        self.latency = Histogram("slmconvert_latency_seconds", "Time to answer, by arm.", ["arm"],
                                 registry=self.registry)  # fmt: skip


def error(status: int, message: str, kind: str, headers: dict | None = None):
    """An OpenAI-style error response."""
    from starlette.responses import Response

    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


def _sse(response: dict):
    """A buffered completion as the chunks a streamed one would have sent."""
    message = response["choices"][0]["message"]
    base = {k: response.get(k) for k in ("id", "created", "model")} | {
        "object": "chat.completion.chunk"
    }
    delta = {"role": "assistant", "content": message.get("content")}
    if message.get("tool_calls"):
        delta["tool_calls"] = [dict(c, index=i) for i, c in enumerate(message["tool_calls"])]
    finish = response["choices"][0].get("finish_reason") or "stop"
    for choice in ({"index": 0, "delta": delta, "finish_reason": None},
                   {"index": 0, "delta": {}, "finish_reason": finish}):  # fmt: skip
        yield b"data: " + orjson.dumps(base | {"choices": [choice]}) + b"\n\n"
    yield b"data: [DONE]\n\n"


async def read_body(request, max_body: int):
    """The request's JSON body, or the OpenAI-style error response (413, 400) it earns."""
    if int(request.headers.get("content-length") or 0) > max_body:
        return error(413, f"request body over {max_body} bytes", "invalid_request_error")
    raw = await request.body()
    if len(raw) > max_body:
        return error(413, f"request body over {max_body} bytes", "invalid_request_error")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return error(400, "request body is not valid JSON", "invalid_request_error")
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return error(400, "`messages` must be a list", "invalid_request_error")
    return body


def respond(gateway: Gateway, body: dict, headers: dict, outcome, latency_ms: float):
    """The client's response for ``outcome``, tagged, counted and logged."""
    from starlette.responses import Response, StreamingResponse

    metrics = gateway.metrics
    tags = {"x-slmconvert-cluster": str(outcome.cluster), "x-slmconvert-arm": outcome.arm}
    if outcome.fallback:
        tags["x-slmconvert-fallback-reason"] = outcome.fallback
    if outcome.error:
        return error(502, f"the LLM upstream failed: {outcome.error}", "upstream_error", tags)
    if metrics:
        metrics.requests.labels(arm=outcome.arm, cluster=str(outcome.cluster)).inc()
    if outcome.stream is not None:
        return StreamingResponse(outcome.stream, headers=tags, media_type="text/event-stream")
    if metrics:
        metrics.latency.labels(arm=outcome.arm).observe(latency_ms / 1000)
    if gateway.log is not None:
        gateway.log.write(body, outcome.response, cluster=outcome.cluster, arm=outcome.arm,
                          client_id=headers.get("x-slmconvert-client") or body.get("user"),
                          latency_ms=latency_ms, fallback=outcome.fallback)  # fmt: skip
    if body.get("stream"):
        return StreamingResponse(_sse(outcome.response), headers=tags,
                                 media_type="text/event-stream")  # fmt: skip
    return Response(orjson.dumps(outcome.response), headers=tags, media_type="application/json")


def build_app(gateway: Gateway, *, api_key: str | None = None, max_body: int = MAX_BODY):
    """The Starlette app serving ``gateway``."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    metrics = gateway.metrics

    def authorised(request) -> bool:
        if not api_key:
            return True
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode())

    async def chat(request):
        if not authorised(request):
            return error(401, "missing or wrong API key", "authentication_error")
        body = await read_body(request, max_body)
        if not isinstance(body, dict):
            return body  # the error response
        headers = {k.lower(): v for k, v in request.headers.items()}
        t0 = time.perf_counter()
        outcome = await gateway.serve(body, headers)
        return respond(gateway, body, headers, outcome, (time.perf_counter() - t0) * 1000)

    async def models(request):
        if not authorised(request):
            return error(401, "missing or wrong API key", "authentication_error")
        names = [gateway.options.llm_model or gateway.deployment.llm_model or "llm"]
        names += [s.lora_name for s in gateway.deployment.served.values()]
        data = [{"id": n, "object": "model", "owned_by": "slmconvert"} for n in names if n]
        return Response(
            orjson.dumps({"object": "list", "data": data}), media_type="application/json"
        )

    async def health(request):
        return Response(orjson.dumps({"status": "ok", "queue": gateway.queue.qsize()}),
                        media_type="application/json")  # fmt: skip

    async def prometheus(request):
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        gateway.start()
        yield
        await gateway.stop()

    routes = [
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
