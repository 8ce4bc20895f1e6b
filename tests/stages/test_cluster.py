"""`slmconvert cluster`: task types recovered from the example logs, deterministic and cached."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import adjusted_mutual_info_score

from slmconvert.config import ClusterConfig
from slmconvert.errors import InputError
from slmconvert.stagedir import open_input
from slmconvert.stages import cluster, collect

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("collect") / "out"
    collect.run([str(EXAMPLES / "logs")], out)
    return out


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture(scope="module")
def clustered(collected, cache, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cluster") / "out"
    cluster.run(collected, out, ClusterConfig(allow_unscrubbed=True, cache_dir=str(cache)))
    return out


def truth_of(rows: list[dict]) -> list[str]:
    truth = {}
    for line in (EXAMPLES / "truth.jsonl").read_text().splitlines():
        item = json.loads(line)
        truth[(item["file"], item["line"])] = item["task"]
    return [truth[(os.path.basename(r["source"]["file"]), r["source"]["line"])] for r in rows]


def test_clusters_recover_the_generators_task_types(clustered):
    rows = open_input(clustered).read_table(columns=["source", "cluster_id"]).to_pylist()
    predicted = [r["cluster_id"] for r in rows]
    ami = adjusted_mutual_info_score(truth_of(rows), predicted)
    noise_share = predicted.count(-1) / len(predicted)
    print(f"AMI {ami:.3f}, noise share {noise_share:.1%}")
    assert ami >= 0.8
    assert noise_share < 0.2
    manifest = json.loads((clustered / "manifest.json").read_text())
    assert manifest["metrics"]["noise_share"] == pytest.approx(noise_share, abs=1e-6)


def test_clusters_json_describes_each_cluster_for_people_and_routers(clustered):
    doc = json.loads((clustered / "clusters.json").read_text())
    assert doc["embedder"]["model"] == "all-MiniLM-L6-v2"
    assert len(doc["clusters"]) >= 5
    shares = sum(c["share"] for c in doc["clusters"]) + doc["noise"]["share"]
    assert shares == pytest.approx(1.0, abs=1e-3)
    routing = max(doc["clusters"], key=lambda c: c["tool_call_share"] * c["size"])
    assert set(routing["tools"]) <= {
        "HandleOtherTalk",
        "ToProductQAAssistant",
        "ToOrderStatusAssistant",
        "ToReturnProcessing",
        "get_order_status",
        "get_customer_orders",
    }
    for c in doc["clusters"]:
        assert c["label"] and c["keywords"]
        assert c["input_tokens"]["p50"] <= c["input_tokens"]["p95"]
        assert len(c["centroid"]) == 384 * 4  # four signature parts
        assert np.linalg.norm(c["centroid"]) == pytest.approx(1.0, abs=1e-3)
        assert c["examples"]
    centroids = np.load(clustered / "centroids.npy")
    assert centroids.shape == (len(doc["clusters"]), 384 * 4)
    assert (clustered / "clusters.png").stat().st_size > 10_000


def test_every_cluster_has_a_held_out_split(clustered):
    rows = open_input(clustered).read_table(columns=["cluster_id", "split"]).to_pylist()
    per_cluster = Counter((r["cluster_id"], r["split"]) for r in rows)
    for cid in {r["cluster_id"] for r in rows if r["cluster_id"] >= 0}:
        n_eval, n_train = per_cluster[(cid, "eval")], per_cluster[(cid, "train")]
        assert n_eval >= 10 and n_train > n_eval
        assert n_eval == pytest.approx(0.2 * (n_eval + n_train), abs=1)


def test_shuffled_input_gives_the_same_clusters_and_splits(collected, clustered, cache, tmp_path):
    shuffled = tmp_path / "shuffled"
    (shuffled / "data").mkdir(parents=True)
    table = open_input(collected).read_table()
    order = np.random.default_rng(1).permutation(table.num_rows)
    pq.write_table(table.take(order), shuffled / "data" / "part-00000.parquet")
    (shuffled / "manifest.json").write_text((collected / "manifest.json").read_text())

    result = cluster.run(
        shuffled, tmp_path / "out", ClusterConfig(allow_unscrubbed=True, cache_dir=str(cache))
    )
    assert result.metrics["embeddings_computed"] == 0  # the module's first run filled the cache

    def assignment(path):
        rows = open_input(path).read_table(columns=["id", "cluster_id", "split"]).to_pylist()
        return {r["id"]: (r["cluster_id"], r["split"]) for r in rows}

    assert assignment(tmp_path / "out") == assignment(clustered)


def test_the_embedder_loads_with_the_hub_offline():
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    from slmconvert.clustering.embed import Embedder

    vectors = Embedder().embed(["where is my order", "where is my parcel", "reset my password"])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_unscrubbed_input_is_refused_without_the_flag(collected, tmp_path):
    with pytest.raises(InputError, match="have not been through `slmconvert pii`"):
        cluster.run(collected, tmp_path / "out")


def test_the_cli_prints_clusters_by_savings(collected, cache, cli, tmp_path):
    result = cli(
        "cluster", collected, "-o", tmp_path / "out", "--allow-unscrubbed", "--cache-dir", cache
    )
    assert result.exit_code == 0, result.output
    assert "noise" in result.stdout and "clusters.png" in result.stdout
    assert "computed" in result.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["allow_unscrubbed"] is True
    assert [s["stage"] for s in manifest["lineage"]] == ["collect", "cluster"]
