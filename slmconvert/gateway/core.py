"""The gateway's decisions for one request: its cluster, its arm, and the answer it gets.

Arms: ``llm`` (noise, observe mode, a cluster not promoted or rolled back, a request the SLM
cannot serve), ``shadow`` (the LLM answers; a copy goes to the SLM in the background: every
LLM-answered call of a promoted cluster below 100 %), ``slm`` (the session's canary share, or
100 %; the answer is validated first, and an audit share also asks the LLM) and ``fallback``
(the SLM's answer failed validation, errored or timed out: the LLM answers before any byte
reaches the client).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sys
import time
from dataclasses import dataclass, field

import orjson

from slmconvert.clustering.request import of_request
from slmconvert.gateway import answers
from slmconvert.gateway.deployment import Deployment, Served
from slmconvert.gateway.gates import check
from slmconvert.gateway.state import DONE, PAUSED, RUNNING, RolloutState
from slmconvert.gateway.upstream import UpstreamError


@dataclass
class Options:
    """Gateway settings that are not the deployment's."""

    llm_model: str | None = None
    timeout_ms: int = 2000
    queue_size: int = 256
    audit_rate: float = 0.05
    audit_every_s: float = 60.0  # at least one audit this often per cluster, however quiet
    similarity_threshold: float = 0.8


@dataclass
class Outcome:
    """What one request got."""

    cluster: int
    arm: str
    response: dict | None = None
    fallback: str | None = None
    error: str | None = None  # an LLM failure: the client gets a 502
    stream: object | None = None  # the LLM's SSE bytes, passed through
    counts: dict = field(default_factory=dict)


def session_key(request: dict, headers: dict) -> str:
    """Sticky canary key: the session header, else ``user``, else the conversation's opening."""
    given = headers.get("x-slmconvert-session") or request.get("user")
    if given:
        return str(given)
    opening = []
    for msg in request.get("messages") or []:
        opening.append(msg)
        if isinstance(msg, dict) and msg.get("role") == "user":
            break
    return hashlib.blake2b(orjson.dumps(opening), digest_size=8).hexdigest()


def bucket(key: str, salt: int) -> float:
    """A stable number in [0, 100) for a session and a cluster."""
    digest = hashlib.blake2b(f"{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000 / 100


class Gateway:
    """Routes requests, serves them, and keeps the rollout moving on live evidence."""

    def __init__(self, deployment: Deployment, llm, slm: dict, state: RolloutState | None,
                 options: Options, log=None, metrics=None, similarity=None):  # fmt: skip
        self.deployment, self.llm, self.slm = deployment, llm, slm
        self.state, self.options, self.log, self.metrics = state, options, log, metrics
        self.similarity = similarity
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=options.queue_size)
        self.dropped = 0
        self.reloader = None  # returns a fresh Deployment; set by the server
        self._audited: dict[int, float] = {}  # when each cluster was last audited
        self._worker: asyncio.Task | None = None
        if state is not None and deployment.served:
            state.ensure(sorted(deployment.served))

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._worker = loop.create_task(self._work())
        if self.reloader is not None:
            import signal

            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGHUP, self.reload)

    def reload(self) -> None:
        """Read the deployment directory again (SIGHUP): new router, clusters and adapters."""
        fresh = self.reloader()
        if self.state is not None and fresh.served:
            self.state.ensure(sorted(fresh.served))
        self.deployment = fresh

    async def stop(self) -> None:
        if self._worker is not None:
            await self.queue.join()
            self._worker.cancel()

    # ---- routing -----------------------------------------------------------------------
    def cluster_of(self, request: dict, headers: dict) -> int:
        chars = self.deployment.router.model.settings["signature_chars"]
        view = of_request(request, headers, chars)
        return int(self.deployment.router.assign_views([view])[0])

    def arm_of(self, cluster: int, request: dict, headers: dict) -> tuple[str, str | None]:
        """The arm for a request of ``cluster``, and why it is the LLM when it must be."""
        served = self.deployment.served.get(cluster)
        if served is None or self.state is None:
            return "llm", None
        row = self.state.get(cluster)
        if row is None or row.step < 0 or row.status not in (RUNNING, PAUSED, DONE):
            return "llm", None
        reason = answers.ineligible(request, served.tools)
        if reason:
            return "llm", reason
        percent = served.gate.steps[row.step].percent
        if percent and bucket(session_key(request, headers), cluster) < percent:
            return "slm", None
        return "shadow", None  # the LLM answers; a copy measures the SLM (below 100 % only)

    def _slm_body(self, served: Served, request: dict) -> dict:
        body = {k: v for k, v in request.items() if k not in ("stream", "stream_options")}
        body["model"] = served.lora_name
        body["chat_template_kwargs"] = {"enable_thinking": False}
        return body

    def _llm_body(self, request: dict) -> dict:
        model = self.options.llm_model
        return request | ({"model": model} if model else {})

    def _backend(self, served: Served):
        return self.slm.get(served.base) or self.slm.get("*")

    # ---- serving -----------------------------------------------------------------------
    async def serve(self, request: dict, headers: dict) -> Outcome:
        """The answer to one chat-completion request."""
        cluster = self.cluster_of(request, headers)
        arm, ineligible = self.arm_of(cluster, request, headers)
        if ineligible and self.metrics:
            self.metrics.ineligible.labels(reason=ineligible).inc()
        reason = None
        if arm == "slm":
            outcome, reason = await self._serve_slm(cluster, request)
            if outcome is not None:
                return outcome
            arm = "fallback"
        if request.get("stream"):  # passed through as it comes; a streamed call is not shadowed
            return Outcome(cluster, arm, fallback=reason,
                           stream=self.llm.stream(self._llm_body(request)))  # fmt: skip
        try:
            response = await self.llm.chat(self._llm_body(request))
        except UpstreamError as exc:
            return Outcome(cluster, arm, error=exc.reason, fallback=reason)
        if arm == "shadow":
            self._enqueue(("shadow", cluster, request, response))
        return Outcome(cluster, arm, response=response, fallback=reason)

    async def _serve_slm(self, cluster: int, request: dict) -> tuple[Outcome | None, str | None]:
        """The SLM's validated answer, or None and the reason to fall back to the LLM."""
        served = self.deployment.served[cluster]
        response, answer, reason = await self._ask_slm(served, request)
        self._enqueue(("count", cluster, reason))
        if reason is not None:
            if self.metrics:
                self.metrics.fallbacks.labels(reason=reason).inc()
            return None, reason
        if self._audit_due(cluster):
            self._enqueue(("audit", cluster, request, answer))
        response["model"] = request.get("model") or response.get("model")
        return Outcome(cluster, "slm", response=response), None

    async def _ask_slm(self, served: Served, request: dict) -> tuple:
        """The SLM's response, its answer, and why it must not be served (None when it may)."""
        try:
            response = await self._backend(served).chat(
                self._slm_body(served, request), timeout_s=self.options.timeout_ms / 1000
            )
        except UpstreamError as exc:
            return None, None, exc.reason
        message = response["choices"][0]["message"]
        answer = answers.from_message(message, served.parser)
        if answer.kind == "tool_calls" and not message.get("tool_calls"):  # calls read from text
            ids = [f"call_{i}" for i in range(len(answer.calls))]
            response["choices"][0]["message"] = answers.to_message(answer, ids)
        return response, answer, answers.validate(answer, answers.tools_of(request), served.tools)

    def _audit_due(self, cluster: int) -> bool:
        """The audit share, with a floor: a quiet cluster is still audited every so often."""
        now = time.monotonic()
        overdue = now - self._audited.get(cluster, now - self.options.audit_every_s) >= (
            self.options.audit_every_s
        )
        if overdue or bucket(f"{time.time_ns()}", cluster) < 100 * self.options.audit_rate:
            self._audited[cluster] = now
            return True
        return False

    # ---- background: shadow copies, audits, counters, gate checks ---------------------
    def _enqueue(self, job: tuple) -> None:
        try:
            self.queue.put_nowait(job)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.metrics:
                self.metrics.dropped.inc()

    async def _work(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                await self._do(job)
            except Exception as exc:  # a background job never takes the gateway down
                # the error's type only: its message could quote a request
                print(f"gateway: a {job[0]} job failed ({type(exc).__name__})", file=sys.stderr)
                if self.metrics:
                    self.metrics.errors.inc()
            finally:
                self.queue.task_done()

    async def _do(self, job: tuple) -> None:
        kind, cluster = job[0], job[1]
        served = self.deployment.served[cluster]
        if kind == "count":
            reason = job[2]
            self.state.count(cluster, answered=True, invalid=reason is not None,
                             fallback=reason is not None)  # fmt: skip
            return
        request = job[2]
        tools = answers.tools_of(request)
        if kind == "shadow":
            llm = answers.from_message(job[3]["choices"][0]["message"])
            _, slm, reason = await self._ask_slm(served, request)
            invalid = reason is not None
        else:  # audit: the SLM answered; ask the LLM what it would have said
            slm, invalid = job[3], False
            try:
                llm = answers.from_message(
                    (await self.llm.chat(self._llm_body(request)))["choices"][0]["message"]
                )
            except UpstreamError:
                return
        agreed = (
            slm is not None
            and not invalid
            and await asyncio.to_thread(
                answers.agree,
                slm,
                llm,
                tools,
                self.similarity,
                self.options.similarity_threshold,
                served.metric,
            )  # fmt: skip
        )
        row = self.state.count(cluster, scored=True, agreed=agreed,
                               answered=kind == "shadow", invalid=invalid and kind == "shadow")  # fmt: skip
        check(self.state, row, served.gate)
