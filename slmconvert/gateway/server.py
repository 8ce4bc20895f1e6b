"""Assemble a gateway from a deployment and upstream settings; operate its rollout by hand."""

from __future__ import annotations

import contextlib
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from slmconvert.core.errors import ConfigError, InputError
from slmconvert.gateway import deployment
from slmconvert.gateway.core import Gateway, Options
from slmconvert.gateway.gates import numbers
from slmconvert.gateway.state import PAUSED, ROLLED_BACK, RUNNING, RolloutState

STATE_FILE = "rollout-state.sqlite"


@dataclass
class ServeSettings:
    """What `slmconvert serve` is told beyond the deployment directory."""

    llm_base_url: str
    llm_api_key_env: str | None = None
    llm_model: str | None = None
    slm_base_urls: list[str] = field(default_factory=list)  # [BASE=]URL
    slm_backend: str | None = None  # "transformers": in this process
    state: str | None = None
    log_dir: str | None = None
    api_key_env: str | None = None
    host: str = "127.0.0.1"
    insecure: bool = False
    min_samples: int | None = None  # override every step's (demos, tests)
    gate_threshold: float | None = None  # override the rollout's gate for live agreement
    timeout_ms: int = 2000
    audit_rate: float = 0.05


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_key(settings: ServeSettings) -> str | None:
    """The client key the gateway checks, from the environment; refuses an open public bind."""
    key = os.environ.get(settings.api_key_env) if settings.api_key_env else None
    if settings.api_key_env and not key:
        raise ConfigError(f"--api-key-env: ${settings.api_key_env} is not set")
    if not key and not is_loopback(settings.host) and not settings.insecure:
        raise ConfigError(
            f"--host {settings.host} is reachable from other machines",
            "give --api-key-env VAR (clients send it as a Bearer token) or pass --insecure",
        )
    return key


def _slm_backends(dep, settings: ServeSettings) -> dict:
    from slmconvert.gateway.upstream import OpenAIUpstream, TransformersBackend

    if settings.slm_backend == "transformers":
        served = [
            {"lora_name": s.lora_name, "model": s.model, "base": s.base, "adapter": s.adapter,
             "kind": s.kind, "tool_format": s.tool_format, "native_tools": s.native_tools,
             "template": s.template}
            for s in dep.served.values()
        ]  # fmt: skip
        return {"*": TransformersBackend(dep.path, served)}
    backends = {}
    for spec in settings.slm_base_urls:
        named = "=" in spec.split("://")[0]  # BASE=URL; a base model id may hold slashes
        base, _, url = spec.partition("=") if named else ("*", "", spec)
        backends[base] = OpenAIUpstream(url, timeout_s=settings.timeout_ms / 1000)
    if dep.served and not backends:
        raise ConfigError("a rollout needs --slm-base-url URL or --slm-backend transformers")
    return backends


def build(directory: str | Path, settings: ServeSettings):
    """The Starlette app and its Gateway for a deploy (or cluster) directory."""
    from slmconvert.evaluation.similarity import Similarity
    from slmconvert.gateway.app import Metrics, build_app
    from slmconvert.gateway.flylog import FlywheelLog
    from slmconvert.gateway.upstream import OpenAIUpstream

    key = api_key(settings)

    def reload():
        return deployment.load(
            directory, min_samples=settings.min_samples, threshold=settings.gate_threshold
        )

    dep = reload()
    llm = OpenAIUpstream(settings.llm_base_url, settings.llm_api_key_env)
    state = None
    if dep.served:
        state = RolloutState(settings.state or Path(directory) / STATE_FILE)
    options = Options(llm_model=settings.llm_model, timeout_ms=settings.timeout_ms,
                      audit_rate=settings.audit_rate)  # fmt: skip
    log = FlywheelLog(settings.log_dir) if settings.log_dir else None
    similarity = Similarity() if dep.served else None
    gateway = Gateway(dep, llm, _slm_backends(dep, settings), state, options, log, Metrics(),
                      similarity)  # fmt: skip
    gateway.reloader = reload
    return build_app(gateway, api_key=key), gateway


@contextlib.contextmanager
def serving(app, host: str = "127.0.0.1"):
    """``app`` served by uvicorn in a thread on an ephemeral port; yields its base URL."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


# ---- operating a rollout by hand ------------------------------------------------------------

ACTIONS = {"advance", "pause", "resume", "rollback"}


def open_state(directory: str | Path, state: str | None) -> tuple:
    """The deployment and its state database (refuses a directory with no rollout)."""
    dep = deployment.load(directory)
    if not dep.served:
        raise InputError(f"{directory}: no promoted cluster, so no rollout to operate")
    store = RolloutState(state or Path(directory) / STATE_FILE)
    store.ensure(sorted(dep.served))
    return dep, store


def status(directory: str | Path, state: str | None = None) -> list[dict]:
    """Per cluster: step, share, samples, agreement and its bound, rates, last transition."""
    dep, store = open_state(directory, state)
    rows = []
    for row in store.all():
        served = dep.served.get(row.id)
        if served is None:
            continue
        step = served.gate.steps[row.step] if row.step >= 0 else None
        last = (store.events(row.id) or [{}])[-1]
        rows.append({
            "cluster": row.id, "status": row.status,
            "step": step.name if step else "llm", "percent": step.percent if step else 0,
            **numbers(row), "last": {k: last.get(k) for k in ("kind", "reason", "at")},
        })  # fmt: skip
    store.close()
    return rows


def act(
    directory: str | Path, action: str, cluster: int | None, state: str | None = None
) -> list[dict]:
    """An operator's transition for one cluster (or every cluster); returns the new rows."""
    if action not in ACTIONS:
        raise ConfigError(f"unknown action {action!r}; choose from {', '.join(sorted(ACTIONS))}")
    dep, store = open_state(directory, state)
    ids = [cluster] if cluster is not None else sorted(dep.served)
    for cid in ids:
        row = store.get(cid)
        if row is None or cid not in dep.served:
            raise InputError(f"cluster {cid}: not promoted in {directory}",
                             "known: " + ", ".join(map(str, sorted(dep.served))))  # fmt: skip
        steps = dep.served[cid].gate.steps
        if action == "advance":
            to = min(row.step + 1, len(steps) - 1) if row.step >= 0 else 0
            store.move(
                cid, "advance", to, RUNNING, "operator: advance", numbers(row), failed_checks=0
            )
        elif action == "pause":
            store.move(cid, "pause", row.step, PAUSED, "operator: pause", numbers(row))
        elif action == "resume":
            store.move(cid, "resume", max(row.step, 0), RUNNING, "operator: resume", numbers(row))
        else:
            store.move(cid, "rollback", -1, ROLLED_BACK, "operator: rollback", numbers(row))
    store.close()
    return status(directory, state)
