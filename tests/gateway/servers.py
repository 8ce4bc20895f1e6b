"""Real HTTP servers for the gateway tests, on 127.0.0.1 and an ephemeral port, in this process.

`running(app)` (the gateway package's `serving`) starts a uvicorn server in a thread and stops
it on exit. `ScriptedSLM` is an OpenAI-compatible server that answers as the logs did (a
perfect small model) or, by `mode`, the ways a small model goes wrong: garbage, an unknown
tool, arguments that break the schema, slow.
"""

from __future__ import annotations

import asyncio

import orjson

from slmconvert.gateway.server import serving

running = serving  # the same in-thread server the demo's live loop uses


class ScriptedSLM:
    """An OpenAI-compatible 'small model' answering from the logs, well or badly."""

    def __init__(self, records: list[dict]):
        from slmconvert.gateway.replay import completion_of, key_of

        self.answers = {key_of(r["messages"]): completion_of(r) for r in records}
        self.mode = "good"
        self.delay_s = 0.0
        self.calls = 0
        self.models: list[str] = []

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import Response
        from starlette.routing import Route

        from slmconvert.formats.common import openai_messages
        from slmconvert.gateway.replay import key_of

        async def chat(request):
            self.calls += 1
            body = orjson.loads(await request.body())
            self.models.append(body.get("model"))
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            found = self.answers.get(key_of(openai_messages(body["messages"], "messages")))
            if self.mode == "garbage" or found is None:
                return Response(b"<html>oops</html>", media_type="text/html")
            answer = orjson.loads(orjson.dumps(found))
            calls = answer["choices"][0]["message"].get("tool_calls") or []
            if self.mode == "unknown_tool":
                for c in calls:
                    c["function"]["name"] = "launch_rocket"
            if self.mode == "schema":
                for c in calls:
                    c["function"]["arguments"] = orjson.dumps({"query": 42}).decode()
            return Response(orjson.dumps(answer), media_type="application/json")

        return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
