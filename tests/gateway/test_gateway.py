"""`slmconvert serve`: a real gateway on 127.0.0.1 between real clients and real upstreams."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import httpx
import numpy as np
import orjson
import pytest
from servers import running

from slmconvert.clustering.router import TaskRouter
from slmconvert.gateway.server import ServeSettings, act, build, status

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@contextlib.contextmanager
def gateway(directory, llm_url, tmp_path, slm_url=None, **kw):
    """The gateway for ``directory``, served; yields (base URL, Gateway)."""
    settings = ServeSettings(
        llm_base_url=llm_url, slm_base_urls=[slm_url] if slm_url else [],
        state=str(tmp_path / "state.sqlite"), log_dir=str(tmp_path / "served"),
        min_samples=kw.pop("min_samples", 10), **kw,
    )  # fmt: skip
    app, gw = build(directory, settings)
    with running(app) as url:
        yield url + "/v1", gw


def post(url: str, body: dict, **kw) -> httpx.Response:
    return httpx.post(f"{url}/chat/completions", json=body, timeout=60, **kw)


def served_lines(tmp_path) -> list[dict]:
    return [orjson.loads(line) for f in sorted((tmp_path / "served").glob("*.jsonl"))
            for line in f.read_bytes().splitlines()]  # fmt: skip


def wait_until(predicate, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_observe_mode_tags_every_call_with_its_cluster_and_logs_it(
    example_stages, held_out_requests, llm_url, tmp_path
):
    requests = [req for req, _ in held_out_requests[:60]]
    expected = TaskRouter.load(example_stages["cluster"] / "router").assign(requests)

    with gateway(example_stages["cluster"], llm_url, tmp_path) as (url, gw):
        replies = [post(url, req) for req in requests]

    assert gw.deployment.observe
    assert [r.status_code for r in replies] == [200] * len(requests)
    assert [int(r.headers["x-slmconvert-cluster"]) for r in replies] == expected.tolist()
    assert {r.headers["x-slmconvert-arm"] for r in replies} == {"llm"}
    logged = served_lines(tmp_path)
    assert len(logged) == len(requests)
    assert [line["slmconvert"]["cluster"] for line in logged] == expected.tolist()
    assert all(line["request"] == req for line, req in zip(logged, requests, strict=True))


def test_a_served_log_reads_back_as_openai_records(
    example_stages, held_out_requests, llm_url, tmp_path
):
    from slmconvert.core.stagedir import open_input
    from slmconvert.stages import collect

    with gateway(example_stages["cluster"], llm_url, tmp_path) as (url, _):
        for req, _ in held_out_requests[:20]:
            post(url, req)

    result = collect.run([str(tmp_path / "served")], tmp_path / "collected")

    assert result.counts["bad"] == 0
    rows = open_input(result.output).read_table(columns=["source", "workload"]).to_pylist()
    assert len(rows) == 20 and {r["source"]["format"] for r in rows} == {"openai"}
    assert all(r["workload"].startswith("cluster-") or r["workload"] == "noise" for r in rows)
    assert all(oct(f.stat().st_mode)[-3:] == "600" for f in (tmp_path / "served").glob("*"))


def promoted_requests(held_out_requests, cluster: int) -> list[dict]:
    return [req for req, rec in held_out_requests if rec_cluster(rec) == cluster]


def rec_cluster(record) -> int:
    return record.get("_cluster", -2)


@pytest.fixture(scope="module")
def routed(deployed, held_out_requests):
    """Held-out requests by the cluster the deployment's router gives them."""
    router = TaskRouter.load(deployed / "router")
    labels = router.assign([req for req, _ in held_out_requests])
    by_cluster: dict[int, list[dict]] = {}
    for (req, _), label in zip(held_out_requests, labels, strict=True):
        by_cluster.setdefault(int(label), []).append(req)
    return by_cluster


def at_full_traffic(directory, state, cluster: int) -> None:
    for _ in range(6):
        act(directory, "advance", cluster, state)


@pytest.mark.parametrize(
    ("mode", "delay", "reason"),
    [
        ("garbage", 0.0, "garbage"),
        ("unknown_tool", 0.0, "unknown_tool"),
        ("schema", 0.0, "schema_violation"),
        ("good", 3.0, "timeout"),
        ("down", 0.0, "unreachable"),
    ],
)
def test_a_bad_small_model_answer_is_replaced_by_the_llms(
    deployed, routed, llm_url, slm, tmp_path, mode, delay, reason
):
    script, slm_url = slm
    script.mode, script.delay_s = mode, delay
    if mode == "down":
        slm_url = "http://127.0.0.1:9/v1"  # nothing listens there
    requests = routed[0][:12]
    state = str(tmp_path / "state.sqlite")

    with gateway(deployed, llm_url, tmp_path, slm_url, timeout_ms=1000) as (url, _):
        at_full_traffic(deployed, state, 0)
        replies = [post(url, req) for req in requests]

    assert [r.status_code for r in replies] == [200] * len(requests)
    assert {r.headers["x-slmconvert-arm"] for r in replies} == {"fallback"}
    assert {r.headers["x-slmconvert-fallback-reason"] for r in replies} == {reason}
    names = [
        c["function"]["name"]
        for r in replies
        for c in r.json()["choices"][0]["message"]["tool_calls"]
    ]
    assert "launch_rocket" not in names and len(names) >= len(requests)


def test_a_good_small_model_serves_its_cluster_at_full_traffic(
    deployed, routed, llm_url, slm, tmp_path
):
    script, slm_url = slm
    requests = routed[0][:12]
    state = str(tmp_path / "state.sqlite")

    with gateway(deployed, llm_url, tmp_path, slm_url) as (url, gw):
        at_full_traffic(deployed, state, 0)
        replies = [post(url, req) for req in requests]
        others = [post(url, req) for req in routed.get(1, [])[:5]]
        wait_until(lambda: gw.queue.qsize() == 0)
        audited = gw.state.get(0).scored  # at 100 %, audits still ask the LLM

    assert {r.headers["x-slmconvert-arm"] for r in replies} == {"slm"}
    assert set(script.models) == {gw.deployment.served[0].lora_name}
    assert {r.headers["x-slmconvert-arm"] for r in others} <= {"llm"}
    assert all(r.json()["model"] == req["model"] for r, req in zip(replies, requests, strict=True))
    assert 1 <= audited < len(requests)  # the first call (none audited yet), then ~5 %


def test_the_llm_upstream_down_is_an_openai_style_502_and_nothing_is_logged(
    example_stages, held_out_requests, tmp_path
):
    with gateway(example_stages["cluster"], "http://127.0.0.1:9/v1", tmp_path) as (url, _):
        reply = post(url, held_out_requests[0][0])

    assert reply.status_code == 502
    assert reply.json()["error"]["type"] == "upstream_error"
    assert served_lines(tmp_path) == []


def test_shadow_never_delays_the_client(deployed, routed, llm_url, slm, tmp_path):
    script, slm_url = slm
    script.delay_s = 2.0
    requests = routed[0][:6]

    with gateway(deployed, llm_url, tmp_path, slm_url, timeout_ms=5000) as (url, _):
        t0 = time.perf_counter()
        replies = [post(url, req) for req in requests]
        elapsed = time.perf_counter() - t0

    assert {r.headers["x-slmconvert-arm"] for r in replies} == {"shadow"}
    assert elapsed < 2.0  # six calls while each shadow copy takes 2 s


def test_a_good_small_model_advances_step_by_step(deployed, routed, llm_url, slm, tmp_path):
    script, slm_url = slm
    requests = routed[0]
    state = str(tmp_path / "state.sqlite")

    with gateway(deployed, llm_url, tmp_path, slm_url, gate_threshold=0.7) as (url, gw):
        for req in requests[:40]:
            post(url, req, headers={"x-slmconvert-session": f"s{np.random.randint(1e9)}"})
        wait_until(lambda: gw.queue.qsize() == 0)

    kinds = [e["kind"] for e in gw.state.events(0)]
    assert kinds[:3] == ["start", "advance", "advance"]
    assert status(deployed, state)[0]["step"] != "shadow"


def test_a_bad_small_model_rolls_back_and_stays_back(deployed, routed, llm_url, slm, tmp_path):
    script, slm_url = slm
    script.mode = "unknown_tool"
    state = str(tmp_path / "state.sqlite")

    with gateway(deployed, llm_url, tmp_path, slm_url, gate_threshold=0.7) as (url, gw):
        for req in routed[0][:40]:
            post(url, req)
        wait_until(lambda: gw.queue.qsize() == 0)
        later = [post(url, req) for req in routed[0][40:46]]

    row = next(r for r in status(deployed, state) if r["cluster"] == 0)
    assert row["status"] == "rolled_back" and row["step"] == "llm"
    assert {r.headers["x-slmconvert-arm"] for r in later} == {"llm"}
    assert [e["kind"] for e in gw.state.events(0)][-1] == "rollback"


def test_pause_and_resume_from_the_command_line(cli, deployed, tmp_path):
    state = str(tmp_path / "state.sqlite")

    paused = cli("rollout", "pause", deployed, "--cluster", "0", "--state", state)
    resumed = cli("rollout", "resume", deployed, "--cluster", "0", "--state", state)
    shown = cli("rollout", "status", deployed, "--state", state)

    assert paused.exit_code == 0 and "paused" in paused.stdout
    assert resumed.exit_code == 0 and "running" in resumed.stdout
    assert "operator: resume" in shown.stdout
    unknown = cli("rollout", "pause", deployed, "--cluster", "5", "--state", state)
    assert unknown.exit_code == 2 and "not promoted" in unknown.stderr


def test_bad_requests_get_openai_style_errors(example_stages, llm_url, tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_KEY", "k-123")
    with gateway(example_stages["cluster"], llm_url, tmp_path, api_key_env="GATEWAY_KEY") as (
        url,
        _,
    ):
        auth = {"authorization": "Bearer k-123"}
        unauthorised = post(url, {"messages": []})
        malformed = httpx.post(f"{url}/chat/completions", content=b"{nope", headers=auth)
        too_big = httpx.post(f"{url}/chat/completions", content=b"x" * (5 * 2**20), headers=auth)
        models = httpx.get(f"{url}/models", headers=auth)

    assert unauthorised.status_code == 401
    assert (
        malformed.status_code == 400
        and malformed.json()["error"]["type"] == "invalid_request_error"
    )
    assert too_big.status_code == 413
    assert models.status_code == 200 and models.json()["data"]


def test_a_public_address_needs_a_key(example_stages, llm_url):
    from slmconvert.core.errors import ConfigError

    with pytest.raises(ConfigError, match="reachable from other machines"):
        build(example_stages["cluster"], ServeSettings(llm_base_url=llm_url, host="0.0.0.0"))


def test_the_openai_client_streams_through_the_gateway(deployed, routed, llm_url, slm, tmp_path):
    from openai import OpenAI

    script, slm_url = slm
    state = str(tmp_path / "state.sqlite")
    with gateway(deployed, llm_url, tmp_path, slm_url) as (url, _):
        at_full_traffic(deployed, state, 0)
        client = OpenAI(base_url=url, api_key="unused", max_retries=0)
        req = routed[0][0]
        streamed = client.chat.completions.create(**req, stream=True)
        chunks = list(streamed)
        plain = client.chat.completions.create(**routed[1][0]) if routed.get(1) else None

    calls = [c for ch in chunks for c in (ch.choices[0].delta.tool_calls or []) if ch.choices]
    assert calls and calls[0].function.name
    if plain is not None:
        assert plain.choices[0].message is not None


def test_500_requests_at_32_concurrent_are_all_answered_and_logged_once(
    deployed, held_out_requests, llm_url, slm, tmp_path
):
    import asyncio

    from slmconvert.gateway.replay import replay

    script, slm_url = slm
    requests = [req for req, _ in held_out_requests]
    requests = (requests * (500 // len(requests) + 1))[:500]
    for i, req in enumerate(requests):  # 500 distinct calls: a marker per request
        requests[i] = req | {"user": f"load-{i}"}

    with gateway(deployed, llm_url, tmp_path, slm_url) as (url, _):
        result = asyncio.run(replay(requests, url, concurrency=32))

    assert result["statuses"] == {200: 500}
    users = [line["request"]["user"] for line in served_lines(tmp_path)]
    assert len(users) == 500 and len(set(users)) == 500


def test_kill_9_under_load_loses_no_acknowledged_transition(
    deployed, routed, llm_url, slm, tmp_path
):
    import os
    import signal
    import socket
    import subprocess
    import sys

    script, slm_url = slm
    state = str(tmp_path / "state.sqlite")
    act(deployed, "advance", 0, state)  # an acknowledged transition: shadow → 5 %
    before = status(deployed, state)

    def start():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "slmconvert", "serve", str(deployed), "--llm-base-url", llm_url,
             "--slm-base-url", slm_url, "--state", state, "--port", str(port), "--min-samples", "5",
             "--gate-threshold", "0.5"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _up(url), 60)
        return proc, url + "/v1"

    proc, url = start()
    for req in routed[0][:30]:
        post(url, req, headers={"x-slmconvert-session": str(id(req))})
    wait_until(lambda: httpx.get(url[:-3] + "/healthz").json()["queue"] == 0)
    acknowledged, at_kill = status_events(state), status(deployed, state)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    proc, url = start()
    try:
        restarted = status(deployed, state)
        assert post(url, routed[0][0]).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(acknowledged) > len(status_events_before(before))
    assert acknowledged == status_events(state)[: len(acknowledged)]
    assert [(r["step"], r["status"]) for r in restarted] == [
        (r["step"], r["status"]) for r in at_kill
    ]


def status_events_before(rows: list[dict]) -> list:
    return [r["last"] for r in rows if r["last"].get("kind")]


def status_events(state: str) -> list[dict]:
    from slmconvert.gateway.state import RolloutState

    store = RolloutState(state)
    try:
        return store.events()
    finally:
        store.close()


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_sighup_reloads_the_deployment(deployed, routed, llm_url, slm, tmp_path):
    import os
    import shutil
    import signal
    import socket
    import subprocess
    import sys

    script, slm_url = slm
    moved = shutil.copytree(deployed, tmp_path / "deploy")
    state = str(tmp_path / "state.sqlite")
    at_full_traffic(moved, state, 0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "slmconvert", "serve", str(moved), "--llm-base-url", llm_url,
         "--slm-base-url", slm_url, "--state", state, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url), 60)
        before = post(url + "/v1", routed[0][0]).headers["x-slmconvert-arm"]
        doc = orjson.loads((moved / "rollout.json").read_bytes())
        for entry in doc["clusters"]:
            if entry["id"] == 0:
                entry["decision"] = "hold"  # an operator takes cluster 0 off its SLM
        (moved / "rollout.json").write_bytes(orjson.dumps(doc))
        os.kill(proc.pid, signal.SIGHUP)
        wait_until(lambda: post(url + "/v1", routed[0][1]).headers["x-slmconvert-arm"] == "llm")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert before == "slm"


def test_replay_llm_answers_what_was_logged_and_404s_the_rest(raw_records, llm_url):
    from slmconvert.gateway.replay import completion_of, request_of

    record = next(r for r in raw_records if r["response"].get("tool_calls"))
    known = httpx.post(f"{llm_url}/chat/completions", json=request_of(record))
    unknown = httpx.post(f"{llm_url}/chat/completions",
                         json={"messages": [{"role": "user", "content": "never logged"}]})  # fmt: skip

    expected = completion_of(record)["choices"][0]["message"]
    assert known.status_code == 200 and known.json()["choices"][0]["message"] == expected
    assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "not_found_error"


def test_the_replay_command_sends_the_held_out_calls(cli, example_stages, llm_url, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "03_cluster").symlink_to(example_stages["cluster"])
    logs = str(EXAMPLES / "logs")

    with gateway(example_stages["cluster"], llm_url, tmp_path) as (url, _):
        result = cli("replay", logs, "--to", url, "--only-split", "eval", "--from", work,
                     "--concurrency", "4")  # fmt: skip

    assert result.exit_code == 0, result.output
    held = sum(1 for line in served_lines(tmp_path))
    assert f"sent {held:,}" in result.stdout and "'llm':" in result.stdout
    assert held > 300
