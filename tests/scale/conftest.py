"""A real local Ray (loopback only, two CPUs) for the tests of ``--engine ray``."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def local_ray():
    """Ray started on 127.0.0.1 for the module's tests; its address (``local``)."""
    ray = pytest.importorskip("ray", reason="the Ray engine needs pip install slmconvert[ray]")
    from slmconvert.scale import ray_engine

    address = ray_engine.connect(num_cpus=2)
    yield address
    ray.shutdown()
