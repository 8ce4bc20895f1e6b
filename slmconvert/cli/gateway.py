"""Commands that put the models in front of traffic: serve, rollout, replay-llm, replay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmconvert.cli import _print, app, guarded

rollout_app = typer.Typer(help="Operate a gateway's rollout through its state file.",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(rollout_app, name="rollout")

Dir = Annotated[Path, typer.Argument(help="A deploy directory (or a cluster one: observe mode).")]
State = Annotated[
    str | None,
    typer.Option("--state", help="Rollout state database (default DIR/rollout-state.sqlite)."),
]


@app.command()
@guarded
def serve(
    directory: Dir,
    llm_base_url: Annotated[str, typer.Option(help="The LLM's OpenAI base URL, with /v1.")],
    llm_api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the LLM's API key.")
    ] = None,
    llm_model: Annotated[str | None, typer.Option(help="Model name sent to the LLM.")] = None,
    slm_base_url: Annotated[
        list[str] | None,
        typer.Option(help="[BASE=]URL of an OpenAI-compatible server of the adapters. Repeatable."),
    ] = None,
    slm_backend: Annotated[
        str | None, typer.Option(help="transformers: serve the adapters in this process (CPU).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    state: State = None,
    log_dir: Annotated[
        str | None, typer.Option(help="Write every served call here (Data Flywheel JSON lines).")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the key clients must send.")
    ] = None,
    insecure: Annotated[
        bool, typer.Option(help="Allow a non-loopback --host without --api-key-env.")
    ] = False,
    min_samples: Annotated[
        int | None, typer.Option(help="Scored calls per gate check, for every step (demos).")
    ] = None,
    timeout_ms: Annotated[
        int, typer.Option(help="SLM answer deadline before the LLM answers.")
    ] = 2000,
    gate_threshold: Annotated[
        float | None,
        typer.Option(help="Live agreement bound a step must reach (default: the rollout's gate)."),
    ] = None,
    audit_rate: Annotated[
        float, typer.Option(help="Share of SLM answers also sent to the LLM to measure agreement.")
    ] = 0.05,
    ssl_certfile: Annotated[str | None, typer.Option(help="TLS certificate (uvicorn).")] = None,
    ssl_keyfile: Annotated[str | None, typer.Option(help="TLS key (uvicorn).")] = None,
) -> None:
    """An OpenAI-compatible gateway: routes each call to its cluster's SLM or the LLM, shadows,
    advances or rolls back on live evidence, falls back on a bad answer, logs what it served."""
    import uvicorn

    from slmconvert.gateway.server import ServeSettings, build

    if slm_backend not in (None, "transformers"):
        from slmconvert.core.errors import ConfigError

        raise ConfigError("--slm-backend: the only in-process backend is `transformers`")
    settings = ServeSettings(
        llm_base_url=llm_base_url, llm_api_key_env=llm_api_key_env, llm_model=llm_model,
        slm_base_urls=slm_base_url or [], slm_backend=slm_backend, state=state,
        log_dir=log_dir, api_key_env=api_key_env, host=host, insecure=insecure,
        min_samples=min_samples, timeout_ms=timeout_ms, gate_threshold=gate_threshold,
        audit_rate=audit_rate,
    )  # fmt: skip
    application, gateway = build(directory, settings)
    mode = "observe (every call to the LLM, tagged)" if gateway.deployment.observe else "rollout"
    typer.echo(f"serving {directory} in {mode} mode on http://{host}:{port}/v1", err=True)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False,
                ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)  # fmt: skip


def _status_table(rows: list[dict]) -> list:
    from rich.table import Table

    table = Table("cluster", "status", "step", "scored", "agree (bound)", "invalid", "fallback")
    lines = []
    for r in rows:
        agree = "—" if r["agreement"] is None else f"{r['agreement']:.0%} ({r['wilson_low']:.2f})"
        table.add_row(str(r["cluster"]), r["status"], f"{r['step']} ({r['percent']} %)",
                      f"{r['scored']:,}", agree, f"{r['invalid_rate']:.1%}",
                      f"{r['fallback_rate']:.1%}")  # fmt: skip
        if r["last"].get("kind"):
            lines.append(
                f"cluster {r['cluster']}: last {r['last']['kind']} — {r['last']['reason']}"
            )
    return [table, *lines]


@rollout_app.command("status")
@guarded
def rollout_status(directory: Dir, state: State = None) -> None:
    """Per cluster: step, traffic share, samples, agreement and bound, rates, last transition."""
    from slmconvert.gateway.server import status

    _print(_status_table(status(directory, state)))


def _action(name: str):
    @guarded
    def command(
        directory: Dir,
        cluster: Annotated[
            int | None, typer.Option(help="Only this cluster (default: all).")
        ] = None,
        state: State = None,
    ) -> None:
        from slmconvert.gateway.server import act

        _print(_status_table(act(directory, name, cluster, state)))

    command.__doc__ = f"{name.capitalize()} the rollout of one cluster, or of all."
    return command


for _name in ("advance", "pause", "resume", "rollback"):
    rollout_app.command(_name)(_action(_name))


@app.command("replay-llm")
@guarded
def replay_llm(
    logs: Annotated[list[str], typer.Argument(help="Log files or directories (any format).")],
    port: Annotated[int, typer.Option(help="Port to listen on (127.0.0.1).")] = 8090,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """An OpenAI-compatible server answering each logged request with its logged response."""
    import uvicorn

    from slmconvert.gateway.replay import build_replay_llm, read_records

    records = read_records(logs, ["id", "model", "messages", "response", "usage"])
    typer.echo(f"replaying {len(records):,} logged answers on http://{host}:{port}/v1", err=True)
    uvicorn.run(build_replay_llm(records), host=host, port=port, log_level="warning",
                access_log=False)  # fmt: skip


@app.command()
@guarded
def replay(
    logs: Annotated[list[str], typer.Argument(help="Log files or directories (any format).")],
    to: Annotated[str, typer.Option("--to", help="OpenAI base URL of the gateway, with /v1.")],
    concurrency: Annotated[int, typer.Option(help="Requests in flight at most.")] = 8,
    rate: Annotated[
        float, typer.Option(help="Requests per second, open loop (0 = as fast as allowed).")
    ] = 0.0,
    only_split: Annotated[
        str | None, typer.Option(help="Only the calls a pipeline put in this split (eval, train).")
    ] = None,
    from_: Annotated[
        Path | None,
        typer.Option("--from", help="The pipeline's work directory (with --only-split)."),
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Variable holding the gateway's key.")
    ] = None,
) -> None:
    """Send logged requests to a gateway; print arms, fallbacks and latency percentiles."""
    import asyncio
    import os

    from slmconvert.core.errors import ConfigError
    from slmconvert.gateway.replay import held_out, read_records, request_of
    from slmconvert.gateway.replay import replay as send

    if (only_split is None) != (from_ is None):
        raise ConfigError("--only-split and --from go together")
    records = read_records(logs, ["id", "source", "model", "messages", "tools"])
    if only_split:
        keep = held_out(from_, only_split)
        records = [r for r in records
                   if (os.path.basename(r["source"]["file"]), r["source"]["line"]) in keep]  # fmt: skip
    key = os.environ.get(api_key_env) if api_key_env else None
    result = asyncio.run(send([request_of(r) for r in records], to, concurrency=concurrency,
                              rate=rate, api_key=key))  # fmt: skip
    typer.echo(
        f"sent {result['sent']:,}: statuses {result['statuses']}, arms {result['arms']}, "
        f"fallbacks {result['fallbacks']}, latency ms p50 {result['latency_ms']['p50']} "
        f"p95 {result['latency_ms']['p95']} p99 {result['latency_ms']['p99']}"
    )
