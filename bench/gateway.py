"""Benchmark the latency `slmconvert serve` adds in front of an LLM, against LiteLLM's proxy.

A fast local upstream (a process answering every chat completion at once) stands in for the
LLM. The same requests (the example logs' calls, so routing runs on real agent traffic) go
(a) straight to the upstream, (b) through our gateway in observe mode (routing included, static
embedder), and (c) through LiteLLM's proxy forwarding to the same upstream, when `--litellm`
installs it into its own venv (bench/.litellm-venv). Each is measured with one client in a loop
(p50/p99) and at fixed open-loop rates; the table gives each way's latency and what it adds over
the direct path. The routing decision's own cost is timed in process.

    python bench/gateway.py [--rates 50 200] [--requests 600] [--litellm]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
AUTH = {"authorization": "Bearer sk-bench-0123456789abcdef0123456789abcdef"}  # every way gets it
UPSTREAM = """
import orjson, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
ANSWER = orjson.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
async def chat(request):
    await request.body()
    return Response(ANSWER, media_type="application/json")
app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="error",
            access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.post(url + "/chat/completions", json={"messages": []}, headers=AUTH, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def start(cmd: list[str], env=None) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)  # fmt: skip


KEY = "sk-bench-0123456789abcdef0123456789abcdef"  # LiteLLM's proxy refuses to start without one


async def one_client(url: str, requests: list[dict]) -> list[float]:
    out = []
    async with httpx.AsyncClient(timeout=30, headers=AUTH) as client:
        for body in requests:
            t0 = time.perf_counter()
            r = await client.post(url + "/chat/completions", json=body)
            out.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
    return out


async def open_loop(url: str, requests: list[dict], rate: float) -> list[float]:
    out = []
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=AUTH) as client:

        async def send(i: int, body: dict) -> None:
            await asyncio.sleep(i / rate)
            t0 = time.perf_counter()
            r = await client.post(url + "/chat/completions", json=body)
            out.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()

        await asyncio.gather(*(send(i, b) for i, b in enumerate(requests)))
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def measure(url: str, requests: list[dict], rates: list[float]) -> dict:
    asyncio.run(one_client(url, requests[:50]))  # warm up
    row = {"one": asyncio.run(one_client(url, requests))}
    for rate in rates:
        row[rate] = asyncio.run(open_loop(url, requests, rate))
    return row


def cluster_dir(work: Path) -> Path:
    from slmconvert.core.config import ClusterConfig
    from slmconvert.stages import cluster, collect

    collect.run([str(ROOT / "examples" / "logs")], work / "collect")
    cluster.run(work / "collect", work / "cluster", ClusterConfig(allow_unscrubbed=True))
    return work / "cluster"


def routing_cost(directory: Path, requests: list[dict]) -> float:
    from slmconvert.clustering.router import TaskRouter

    router = TaskRouter.load(directory / "router")
    router.assign(requests[:20])
    times = []
    for body in requests[:300]:
        t0 = time.perf_counter()
        router.assign([body])
        times.append((time.perf_counter() - t0) * 1000)
    return pct(times, 50)


def litellm_proxy(upstream: str, port: int) -> subprocess.Popen | None:
    venv = ROOT / "bench" / ".litellm-venv"
    if not (venv / "bin" / "litellm").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "litellm[proxy]"])
        if done.returncode:
            print("LiteLLM could not be installed; its rows are left out", file=sys.stderr)
            return None
    config = Path(tempfile.mkdtemp()) / "litellm.yaml"
    config.write_text(
        "model_list:\n  - model_name: bench\n    litellm_params:\n      model: openai/bench\n"
        f"      api_base: {upstream}\n      api_key: unused\n"
        f"general_settings:\n  master_key: {KEY}\n"
    )
    return start([str(venv / "bin" / "litellm"), "--config", str(config), "--port", str(port),
                  "--num_workers", "1"])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[50, 200])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--litellm", action="store_true", help="also LiteLLM's proxy (installs it)")
    args = parser.parse_args()
    from slmconvert.gateway.replay import read_records, request_of

    records = read_records([str(ROOT / "examples" / "logs")])
    requests = [request_of(r, model="bench") for r in records][: args.requests]
    work = Path(tempfile.mkdtemp(prefix="slmconvert-gw-bench-"))
    procs = []
    try:
        port = free_port()
        procs.append(start([sys.executable, "-c", UPSTREAM, str(port)]))
        upstream = f"http://127.0.0.1:{port}/v1"
        wait_up(upstream)
        directory = cluster_dir(work)
        gw_port = free_port()
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        env["BENCH_KEY"] = KEY  # the gateway checks clients' keys too, as LiteLLM's proxy does
        procs.append(start([sys.executable, "-m", "slmconvert", "serve", str(directory),
                            "--llm-base-url", upstream, "--port", str(gw_port),
                            "--api-key-env", "BENCH_KEY"], env))  # fmt: skip
        gateway = f"http://127.0.0.1:{gw_port}/v1"
        wait_up(gateway)
        ways = {"direct": measure(upstream, requests, args.rates),
                "slmconvert serve": measure(gateway, requests, args.rates)}  # fmt: skip
        if args.litellm:
            lt_port = free_port()
            proc = litellm_proxy(upstream, lt_port)
            if proc is not None:
                procs.append(proc)
                wait_up(f"http://127.0.0.1:{lt_port}", 300)
                ways["LiteLLM proxy"] = measure(f"http://127.0.0.1:{lt_port}", requests, args.rates)
        print(table(ways, args.rates, routing_cost(directory, requests), len(requests)))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def table(ways: dict, rates: list[float], routing_ms: float, n: int) -> str:
    direct = ways["direct"]
    lines = [
        f"{n} requests from the example logs; routing decision alone: p50 {routing_ms:.2f} ms",
        "",
        "| way | load | p50 ms | p99 ms | added p50 ms | added p99 ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, row in ways.items():
        for load in ["one", *rates]:
            label = "1 client" if load == "one" else f"{load:g} req/s open loop"
            p50, p99 = pct(row[load], 50), pct(row[load], 99)
            add50, add99 = p50 - pct(direct[load], 50), p99 - pct(direct[load], 99)
            lines.append(
                f"| {name} | {label} | {p50:.2f} | {p99:.2f} | {add50:+.2f} | {add99:+.2f} |"
            )
    if "LiteLLM proxy" in ways:
        for load in ["one", *rates]:
            ours = pct(ways["slmconvert serve"][load], 50) - pct(direct[load], 50)
            theirs = pct(ways["LiteLLM proxy"][load], 50) - pct(direct[load], 50)
            lines.append(
                f"\nadded p50 at {load}: LiteLLM / slmconvert = {theirs / max(ours, 1e-3):.1f}x"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
