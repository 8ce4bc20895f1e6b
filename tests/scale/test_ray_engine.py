"""The pii stage on Ray Data (a real local Ray, loopback only) gives what the local engine gives."""

from __future__ import annotations

import pytest

from slmconvert.config import PiiConfig
from slmconvert.stagedir import open_input
from slmconvert.stages import pii

ray = pytest.importorskip("ray", reason="the Ray engine needs pip install slmconvert[ray]")


@pytest.fixture(scope="module")
def local_ray():
    from slmconvert.scale import ray_engine

    address = ray_engine.connect(num_cpus=2)
    yield address
    ray.shutdown()


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


def test_an_inherited_ray_address_is_not_used_by_the_local_engine(
    example_stages, tmp_path, monkeypatch
):
    monkeypatch.setenv("RAY_ADDRESS", "ray://198.51.100.7:10001")  # unreachable on purpose
    result = pii.run(example_stages["collect"], tmp_path / "out", PiiConfig(batch_size=500))

    assert result.counts["records"] > 0  # ran locally: nothing tried to reach the address
