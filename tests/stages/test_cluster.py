"""`slmconvert cluster`: task types known from the request alone, on the examples and a fleet."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import adjusted_mutual_info_score, homogeneity_score

from slmconvert.clustering.router import TaskRouter
from slmconvert.core.config import ClusterConfig
from slmconvert.core.errors import ConfigError, InputError
from slmconvert.core.stagedir import open_input
from slmconvert.stages import cluster, collect
from slmconvert.testing.fleet import generate_fleet

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("collect") / "out"
    collect.run([str(EXAMPLES / "logs")], out)
    return out


@pytest.fixture(scope="module")
def clustered(collected, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cluster") / "out"
    cluster.run(collected, out, ClusterConfig(allow_unscrubbed=True))
    return out


def truth_of(rows: list[dict]) -> list[str]:
    truth = {}
    for line in (EXAMPLES / "truth.jsonl").read_text().splitlines():
        item = json.loads(line)
        truth[(item["file"], item["line"])] = item["task"]
    return [truth[(os.path.basename(r["source"]["file"]), r["source"]["line"])] for r in rows]


def as_request(record: dict) -> dict:
    """An OpenAI-style request holding what a record logged before the LLM answered."""
    tools = [{"type": "function", "function": t} for t in record["tools"] or []]
    messages = [{"role": m["role"], "content": m["content"]} for m in record["messages"]]
    return {"messages": messages, "tools": tools, "metadata": {"workload": record["workload"]}}


def test_clusters_recover_the_example_task_types(clustered):
    rows = open_input(clustered).read_table(columns=["source", "cluster_id"]).to_pylist()
    predicted = [r["cluster_id"] for r in rows]
    truth = truth_of(rows)

    assert adjusted_mutual_info_score(truth, predicted) >= 0.9
    assert homogeneity_score(truth, predicted) >= 0.95
    noise_share = predicted.count(-1) / len(predicted)
    assert noise_share < 0.1
    manifest = json.loads((clustered / "manifest.json").read_text())
    assert manifest["metrics"]["noise_share"] == pytest.approx(noise_share, abs=1e-6)


def test_the_order_status_agents_reworded_prompts_stay_one_cluster(clustered):
    rows = open_input(clustered).read_table(columns=["source", "messages", "cluster_id"])
    rows = rows.to_pylist()
    orders = [r for r, task in zip(rows, truth_of(rows), strict=True) if task == "order_status"]
    prompts = {
        r["messages"][0]["content"][:30] for r in orders if r["messages"][0]["role"] == "system"
    }

    assert len(prompts) >= 4  # four paraphrases of the system prompt in the logs
    assert len({r["cluster_id"] for r in orders}) == 1


def test_labels_name_the_node_and_the_answer_only_describes_it(clustered):
    doc = json.loads((clustered / "clusters.json").read_text())
    routing = max(doc["clusters"], key=lambda c: c["tool_call_share"] * c["size"])

    assert (
        "HandleOtherTalk" in routing["label"] and "ToReturnProcessing" in routing["node"]["tools"]
    )
    assert routing["answer_kinds"]["tool calls"] == 1.0
    for c in doc["clusters"]:
        assert c["label"] and c["keywords"] and c["node"]["gist"]
        assert c["input_tokens"]["p50"] <= c["input_tokens"]["p95"]
        assert np.linalg.norm(c["centroid"]) == pytest.approx(1.0, abs=1e-3)
    shares = sum(c["share"] for c in doc["clusters"]) + doc["noise"]["share"]
    assert shares == pytest.approx(1.0, abs=1e-3)
    assert "cost_share" in doc["noise"] and doc["router"] == "router/"
    assert np.load(clustered / "centroids.npy").shape[0] == len(doc["clusters"])
    assert (clustered / "clusters.png").stat().st_size > 10_000


def test_every_cluster_has_a_held_out_split(clustered):
    rows = open_input(clustered).read_table(columns=["cluster_id", "split"]).to_pylist()
    per_cluster = Counter((r["cluster_id"], r["split"]) for r in rows)
    for cid in {r["cluster_id"] for r in rows if r["cluster_id"] >= 0}:
        n_eval, n_train = per_cluster[(cid, "eval")], per_cluster[(cid, "train")]
        assert n_eval >= 10 and n_train > n_eval
        assert n_eval == pytest.approx(0.2 * (n_eval + n_train), abs=1)


def test_the_saved_router_labels_calls_as_the_stage_did(clustered):
    table = open_input(clustered).read_table(
        columns=["messages", "tools", "workload", "cluster_id"]
    )
    rows = table.to_pylist()
    router = TaskRouter.load(clustered / "router")

    assigned = router.assign([as_request(r) for r in rows])

    agreement = float((assigned == np.array([r["cluster_id"] for r in rows])).mean())
    assert agreement >= 0.99
    manifest = json.loads((clustered / "manifest.json").read_text())
    assert manifest["metrics"]["router_agreement"] >= 0.99
    assert set(router.cluster_ids()) == {r["cluster_id"] for r in rows} - {-1}


def test_a_raw_log_line_and_its_scrubbed_record_get_the_same_cluster(example_stages):
    scrubbed = open_input(example_stages["cluster"]).read_table(columns=["source", "cluster_id"])
    by_line = {
        r["source"]["line"]: r["cluster_id"]
        for r in scrubbed.to_pylist()
        if r["source"]["file"].endswith("flywheel.openai.jsonl.gz")
    }
    router = TaskRouter.load(example_stages["cluster"] / "router")
    raw = {}
    with gzip.open(EXAMPLES / "logs" / "flywheel.openai.jsonl.gz") as fh:
        for number, line in enumerate(fh, start=1):
            if number in by_line:
                raw[number] = orjson.loads(line)
    lines = sorted(raw)

    live = router.assign(
        [raw[n]["request"] for n in lines],
        [{"x-slmconvert-workload": raw[n]["workload_id"]} for n in lines],
    )

    assert len(lines) > 500
    assert live.tolist() == [by_line[n] for n in lines]


def test_shuffled_input_gives_the_same_clusters_and_splits(collected, clustered, tmp_path):
    shuffled = tmp_path / "shuffled"
    (shuffled / "data").mkdir(parents=True)
    table = open_input(collected).read_table()
    order = np.random.default_rng(1).permutation(table.num_rows)
    pq.write_table(table.take(order), shuffled / "data" / "part-00000.parquet")
    (shuffled / "manifest.json").write_text((collected / "manifest.json").read_text())

    cluster.run(shuffled, tmp_path / "out", ClusterConfig(allow_unscrubbed=True))

    def assignment(path):
        rows = open_input(path).read_table(columns=["id", "cluster_id", "split"]).to_pylist()
        return {r["id"]: (r["cluster_id"], r["split"]) for r in rows}

    assert assignment(tmp_path / "out") == assignment(clustered)


def test_a_rerun_with_previous_keeps_the_ids_of_clusters_that_persist(
    collected, clustered, tmp_path
):
    table = open_input(collected).read_table()
    rows = open_input(clustered).read_table(columns=["id", "cluster_id"]).to_pylist()
    first = {r["id"]: r["cluster_id"] for r in rows}
    dropped = 0  # next month, the biggest task is gone from the logs
    keep = [first[i] != dropped for i in table.column("id").to_pylist()]
    month = tmp_path / "month"
    (month / "data").mkdir(parents=True)
    pq.write_table(table.filter(keep), month / "data" / "part-00000.parquet")
    (month / "manifest.json").write_text((collected / "manifest.json").read_text())

    config = ClusterConfig(allow_unscrubbed=True, previous=str(clustered))
    result = cluster.run(month, tmp_path / "out", config)

    again = open_input(result.output).read_table(columns=["id", "cluster_id"]).to_pylist()
    assert all(first[r["id"]] == r["cluster_id"] for r in again)
    assert result.manifest["cluster_ids"]["gone"] == [dropped]
    assert result.manifest["cluster_ids"]["new"] == []


def test_removed_settings_name_their_replacement(cli, collected, tmp_path):
    with pytest.raises(ConfigError, match="answer is unknown when a call arrives"):
        ClusterConfig(signature=["answer_kind", "tools"])

    result = cli("cluster", collected, "-o", tmp_path / "o", "--assign-noise")

    assert result.exit_code == 2
    assert "`assign_noise` was removed" in result.stderr and "router/" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_corrupt_or_foreign_router_is_one_error_naming_the_file(clustered, tmp_path):
    broken = shutil.copytree(clustered / "router", tmp_path / "broken")
    (broken / "router.json").write_text("{not json")
    with pytest.raises(InputError, match=r"broken/router\.json: not valid JSON"):
        TaskRouter.load(broken)
    (broken / "router.json").write_text('{"format": "something-else"}')
    with pytest.raises(InputError, match="not an slmconvert router"):
        TaskRouter.load(broken)
    with pytest.raises(InputError, match="no router here"):
        TaskRouter.load(tmp_path / "nowhere")


def test_unscrubbed_input_is_refused_without_the_flag(collected, tmp_path):
    with pytest.raises(InputError, match="have not been through `slmconvert pii`"):
        cluster.run(collected, tmp_path / "out")


def test_the_cli_prints_clusters_by_savings(collected, cli, tmp_path):
    result = cli("cluster", collected, "-o", tmp_path / "out", "--allow-unscrubbed")

    assert result.exit_code == 0, result.output
    assert "noise" in result.stdout and "router agreement" in result.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["allow_unscrubbed"] is True and manifest["algorithm"] == cluster.ALGORITHM
    assert [s["stage"] for s in manifest["lineage"]] == ["collect", "cluster"]


# --- a fleet of agent nodes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet")
    nodes = generate_fleet(root / "logs", root / "truth.jsonl", calls=3000, nodes=40, seed=0)
    collect.run([str(root / "logs")], root / "collect")
    result = cluster.run(root / "collect", root / "cluster", ClusterConfig(allow_unscrubbed=True))
    return root, {n.name: n for n in nodes}, result


def fleet_truth(path: Path) -> dict[int, tuple[str, str]]:
    return {d["line"]: (d["node"], d["subtask"]) for d in map(json.loads, path.open())}


def test_a_fleet_splits_by_agent_node_then_by_clear_sub_task(fleet):
    root, nodes, _ = fleet
    truth = fleet_truth(root / "truth.jsonl")
    rows = open_input(root / "cluster").read_table(columns=["source", "cluster_id"]).to_pylist()
    node = np.array([truth[r["source"]["line"]][0] for r in rows])
    finest = np.array([str(truth[r["source"]["line"]]) for r in rows])
    label = np.array([r["cluster_id"] for r in rows])
    big = np.array([nodes[n].calls >= 20 for n in node])
    kept = big & (label >= 0)

    assert homogeneity_score(node[kept], label[kept]) >= 0.95
    assert adjusted_mutual_info_score(finest[big], label[big]) >= 0.9
    assert (label[big] < 0).mean() <= 0.1
    tiny = np.array([n.startswith("t") for n in node])  # one-off nodes stay on the LLM
    assert (label[tiny] == -1).all()


def test_the_tool_rag_node_and_the_shared_tool_nodes(fleet):
    root, nodes, _ = fleet
    truth = fleet_truth(root / "truth.jsonl")
    rows = open_input(root / "cluster").read_table(columns=["source", "cluster_id"]).to_pylist()
    clusters_of: dict[str, set] = {}
    members_of: dict[int, set] = {}
    for r in rows:
        name, _ = truth[r["source"]["line"]]
        clusters_of.setdefault(name, set()).add(r["cluster_id"])
        members_of.setdefault(r["cluster_id"], set()).add(name)

    rag = next(n for n in nodes.values() if n.rag)
    assert len(clusters_of[rag.name]) == len(rag.subtasks)  # not one cluster per tool subset
    pair = [n.name for n in nodes.values() if n.tools == nodes["n01"].tools]
    assert pair == ["n01", "n02"]  # one tool set, two roles: never one cluster
    assert not any({"n01", "n02"} <= names for names in members_of.values())


def test_the_router_follows_the_fleet_on_calls_it_never_saw(fleet, tmp_path):
    root, nodes, _ = fleet
    generate_fleet(tmp_path / "logs", tmp_path / "truth.jsonl", calls=3000, nodes=40, seed=0,
                   call_seed=1)  # fmt: skip
    truth = fleet_truth(tmp_path / "truth.jsonl")
    requests, headers, node = [], [], []
    for number, line in enumerate((tmp_path / "logs" / "fleet.openai.jsonl").open(), start=1):
        logged = orjson.loads(line)  # the request only: the response is never shown
        requests.append(logged["request"])
        headers.append(
            {"x-slmconvert-workload": logged["workload_id"]} if "workload_id" in logged else {}
        )
        node.append(truth[number][0])

    label = TaskRouter.load(root / "cluster" / "router").assign(requests, headers)

    node = np.array(node)
    kept = np.array([nodes[n].calls >= 20 for n in node]) & (label >= 0)
    assert homogeneity_score(node[kept], label[kept]) >= 0.95
    assert kept.sum() >= 0.85 * len(label)


def test_a_call_without_text_gets_its_node_or_noise_and_a_stranger_is_noise(clustered):
    router = TaskRouter.load(clustered / "router")
    doc = json.loads((clustered / "clusters.json").read_text())
    routing = max(doc["clusters"], key=lambda c: c["tool_call_share"] * c["size"])
    rows = open_input(clustered).read_table(columns=["tools", "cluster_id"]).to_pylist()
    tools = next(r["tools"] for r in rows if r["cluster_id"] == routing["id"])
    only_tools = {"messages": [], "tools": [{"type": "function", "function": t} for t in tools]}
    stranger = {
        "messages": [
            {"role": "system", "content": "You are a compiler engineer. Reply in x86 assembly."},
            {"role": "user", "content": "Unroll this loop for AVX-512."},
        ],
        "tools": [{"type": "function", "function": {"name": "run_llvm_mca", "parameters": {}}}],
    }

    found = router.assign([only_tools, stranger, as_request(rows_with_text(clustered)[0])])

    assert found[0] in (routing["id"], -1)  # a missing system prompt counts as unlike one
    assert found[1] == -1
    assert found[2] >= 0


def rows_with_text(clustered) -> list[dict]:
    table = open_input(clustered).read_table(
        columns=["messages", "tools", "workload", "cluster_id"]
    )
    return [r for r in table.to_pylist() if r["cluster_id"] >= 0]


def test_a_saved_router_assigns_as_the_one_it_was_saved_from(clustered, tmp_path):
    router = TaskRouter.load(clustered / "router")
    rows = open_input(clustered).read_table(columns=["messages", "tools", "workload"])
    requests = [as_request(r) for r in rows.to_pylist()[:300]]

    router.save(tmp_path / "copy")

    assert (tmp_path / "copy" / "embedder" / "model.safetensors").is_file()
    assert not list((tmp_path / "copy").rglob("*.pkl"))
    again = TaskRouter.load(tmp_path / "copy").assign(requests)
    assert again.tolist() == router.assign(requests).tolist()


def test_a_real_data_flywheel_request_routes_to_the_router_cluster(clustered):
    """NVIDIA's published Data Flywheel record (no one here wrote it), as it would arrive live."""
    root = Path(__file__).resolve().parents[2]
    record = json.loads((root.parent / "shared/reference/flywheel-record.json").read_text())
    doc = json.loads((clustered / "clusters.json").read_text())
    [routing] = [c["id"] for c in doc["clusters"] if "HandleOtherTalk" in c["node"]["tools"]]
    router = TaskRouter.load(clustered / "router")

    with_workload = router.assign(
        [record["request"]], {"x-slmconvert-workload": record["workload_id"]}
    )
    without = router.assign([record["request"]])

    assert with_workload.tolist() == without.tolist() == [routing]
