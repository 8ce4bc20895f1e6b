"""The loop, live, on CPU: the end of `make demo`.

`replay-llm` on the example logs plays the LLM, the gateway serves the demo's promoted adapter in
this process, and the calls the pipeline held out are sent through it (three times over, as further
days of traffic) while the rollout walks its steps on live evidence. Everything lands in
``WORKDIR/08_live/``: the state database, the flywheel log and ``live.json`` (the replay's
tally and the rollout's status), which `slmconvert report` shows.

    python -m slmconvert.gateway.live work/demo [--min-samples 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import time
from pathlib import Path

import orjson

LIVE = "08_live"


def run(workdir: Path, logs: list[str], min_samples: int | None, rounds: int = 3) -> dict:
    """Serve the held-out calls through the gateway; returns what happened."""
    from slmconvert.gateway.replay import (
        build_replay_llm,
        held_out,
        read_records,
        replay,
        request_of,
        stage_dir,
    )
    from slmconvert.gateway.server import ServeSettings, build, serving, status

    deploy = stage_dir(workdir, "deploy")
    live = workdir / LIVE
    shutil.rmtree(live, ignore_errors=True)
    live.mkdir(parents=True)
    records = read_records(logs)
    keep = held_out(workdir, "eval")
    calls = [request_of(r) for r in records
             if (os.path.basename(r["source"]["file"]), r["source"]["line"]) in keep]  # fmt: skip
    with serving(build_replay_llm(records)) as llm:
        settings = ServeSettings(
            llm_base_url=llm + "/v1", slm_backend="transformers", state=str(live / "state.sqlite"),
            log_dir=str(live / "served"), min_samples=min_samples, timeout_ms=60_000,
        )  # fmt: skip
        app, gateway = build(deploy, settings)
        with serving(app) as url:
            tallies = []
            for day in range(rounds):
                sessions = [c | {"user": f"day{day}-{i}"} for i, c in enumerate(calls)]
                tallies.append(asyncio.run(replay(sessions, url + "/v1", concurrency=4)))
                while gateway.queue.qsize():
                    time.sleep(0.2)
    result = {"calls": len(calls), "rounds": tallies, "status": status(deploy, settings.state),
              "events": gateway.state.events() if gateway.state else []}  # fmt: skip
    (live / "live.json").write_bytes(
        orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--logs", nargs="+", default=["examples/logs"])
    parser.add_argument("--min-samples", type=int, default=None, help="override the rollout's")
    parser.add_argument("--rounds", type=int, default=3, help="days of the held-out traffic")
    args = parser.parse_args()
    from slmconvert.core.errors import SlmconvertError

    t0 = time.perf_counter()
    try:
        result = run(args.workdir, args.logs, args.min_samples, args.rounds)
    except SlmconvertError as exc:
        raise SystemExit(f"error: {exc}") from None
    for day, tally in enumerate(result["rounds"], start=1):
        print(f"day {day}: {tally['sent']:,} calls, arms {tally['arms']}, fallbacks "
              f"{tally['fallbacks']}, latency p50 {tally['latency_ms']['p50']} ms")  # fmt: skip
    for row in result["status"]:
        print(f"cluster {row['cluster']}: {row['status']} at {row['step']} ({row['percent']} %), "
              f"last {row['last']['kind']}: {row['last']['reason']}")  # fmt: skip
    print(f"live loop: {time.perf_counter() - t0:.0f} s → {args.workdir / LIVE}")


if __name__ == "__main__":
    main()
