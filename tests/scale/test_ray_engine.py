"""The pii, finetune and cluster stages on Ray (a real local Ray, loopback only) give what the
local engine gives (collect: test_ray_collect.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmconvert.core.config import PiiConfig
from slmconvert.core.stagedir import open_input
from slmconvert.stages import pii

ray = pytest.importorskip("ray", reason="the Ray engine needs pip install slmconvert[ray]")


def records(path) -> list[dict]:
    return sorted(open_input(path).read_table().to_pylist(), key=lambda r: r["id"])


def test_pii_on_ray_writes_the_records_and_counts_the_local_engine_writes(
    example_stages, tmp_path, local_ray
):
    collected = example_stages["collect"]
    local = pii.run(collected, tmp_path / "local", PiiConfig(batch_size=500))
    lines: list[str] = []
    on_ray = pii.run(
        collected, tmp_path / "ray", PiiConfig(batch_size=500, engine="ray"), log=lines.append
    )

    assert local_ray == "local" and any("Ray at local" in line for line in lines)
    assert records(tmp_path / "ray") == records(tmp_path / "local")
    assert on_ray.counts == local.counts
    assert on_ray.manifest["pii"]["detectors"] == local.manifest["pii"]["detectors"]


def test_a_collect_output_in_several_shards_reads_on_ray_in_order(tmp_path, local_ray):
    from slmconvert.core.config import CollectConfig
    from slmconvert.stages import collect

    logs = Path(__file__).resolve().parents[2] / "examples" / "logs"
    sharded = collect.run([str(logs)], tmp_path / "collect", CollectConfig(shard_rows=700))
    assert len(list((tmp_path / "collect" / "data").glob("*.parquet"))) > 2

    local = pii.run(tmp_path / "collect", tmp_path / "local", PiiConfig(batch_size=300))
    on_ray = pii.run(
        tmp_path / "collect", tmp_path / "ray", PiiConfig(batch_size=300, engine="ray")
    )

    assert sharded.counts["records"] == local.counts["records_in"] == on_ray.counts["records_in"]
    assert [r["id"] for r in open_input(tmp_path / "ray").read_table().to_pylist()] == [
        r["id"] for r in open_input(tmp_path / "local").read_table().to_pylist()
    ]  # the same records in the same order


def test_an_inherited_ray_address_is_not_used_by_the_local_engine(
    example_stages, tmp_path, monkeypatch
):
    monkeypatch.setenv("RAY_ADDRESS", "ray://198.51.100.7:10001")  # unreachable on purpose
    result = pii.run(example_stages["collect"], tmp_path / "out", PiiConfig(batch_size=500))

    assert result.counts["records"] > 0  # ran locally: nothing tried to reach the address


def test_finetune_on_ray_trains_each_cluster_as_a_task_like_the_local_engine(
    example_stages, small_tiny_model, tmp_path, local_ray
):
    import orjson

    from slmconvert.core.config import FinetuneConfig
    from slmconvert.stages import finetune

    selection = orjson.loads((example_stages["select"] / "selection.json").read_bytes())
    chosen = [c["id"] for c in selection["clusters"] if c["decision"] == "specialise"][:2]
    settings = dict(model=str(small_tiny_model), clusters=chosen, method="lora", max_steps=2,
                    max_train=4, batch_size=2, save_steps=2, threads=1)  # fmt: skip
    local = finetune.run(example_stages["select"], tmp_path / "local", FinetuneConfig(**settings))
    lines: list[str] = []
    on_ray = finetune.run(
        example_stages["select"], tmp_path / "ray", FinetuneConfig(**settings, engine="ray"),
        log=lines.append,
    )  # fmt: skip

    assert len(chosen) == 2 and on_ray.counts == local.counts
    assert any("2 clusters in parallel" in line for line in lines)
    hashes = [
        {c["id"]: c["config_hash"] for c in orjson.loads((d / "finetune.json").read_bytes())["clusters"]}
        for d in (tmp_path / "local", tmp_path / "ray")
    ]  # fmt: skip
    assert hashes[0] == hashes[1]  # the engine is not part of what an adapter is
    for cid in chosen:
        assert (tmp_path / "ray" / "adapters" / str(cid) / "adapter_model.safetensors").is_file()


def test_cluster_on_ray_embeds_on_actors_and_finds_the_local_engines_clusters(
    example_stages, tmp_path, local_ray
):
    import orjson

    from slmconvert.core.config import ClusterConfig
    from slmconvert.stages import cluster

    scrubbed = example_stages["pii"]
    # small embedding batches, so that the example logs' batches are large enough for actors
    local = cluster.run(scrubbed, tmp_path / "local", ClusterConfig(batch_size=4))
    lines: list[str] = []
    settings = ClusterConfig(batch_size=4, engine="ray", workers=2)
    on_ray = cluster.run(scrubbed, tmp_path / "ray", settings, log=lines.append)

    assert any("Ray at local" in line for line in lines)
    assert on_ray.metrics["embedded_on_ray"] > 0
    assert on_ray.counts == local.counts

    def clusters(path):
        doc = orjson.loads((path / "clusters.json").read_bytes())
        return [(c["id"], c["size"], c["label"], c["examples"]) for c in doc["clusters"]]

    assert clusters(tmp_path / "ray") == clusters(tmp_path / "local")
    assert [(r["id"], r["cluster_id"], r["split"]) for r in records(tmp_path / "ray")] == [
        (r["id"], r["cluster_id"], r["split"]) for r in records(tmp_path / "local")
    ]
