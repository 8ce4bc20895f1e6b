"""The gateway's world: the example logs as the LLM, a scripted SLM, a real deploy directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from deploy_world import write_eval_dir
from servers import ScriptedSLM, running

from slmconvert.gateway.replay import build_replay_llm, held_out, read_records, request_of
from slmconvert.stages import deploy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def raw_records():
    """The example logs as canonical records, unscrubbed: what live traffic looks like."""
    return read_records([str(EXAMPLES / "logs")])


@pytest.fixture(scope="session")
def deployed(example_stages, tmp_path_factory) -> Path:
    """A deploy directory whose clusters 0 (tool calls) and 2 (JSON answers) are promoted."""
    root = tmp_path_factory.mktemp("gateway")
    return deploy.run(write_eval_dir(root, example_stages), root / "deploy").output


@pytest.fixture(scope="session")
def held_out_requests(example_stages, raw_records):
    """The raw requests of the calls the pipeline held out, with their records."""
    keep = held_out_of(example_stages["cluster"])
    rows = [
        r
        for r in raw_records
        if (os.path.basename(r["source"]["file"]), r["source"]["line"]) in keep
    ]
    return [(request_of(r), r) for r in rows]


def held_out_of(cluster_dir: Path) -> set:
    work = cluster_dir.parent / "work-view"
    work.mkdir(exist_ok=True)
    link = work / "03_cluster"
    if not link.exists():
        link.symlink_to(cluster_dir)
    return held_out(work)


@pytest.fixture(scope="session")
def llm_url(raw_records):
    """The LLM: `replay-llm` on the example logs."""
    with running(build_replay_llm(raw_records)) as url:
        yield url + "/v1"


@pytest.fixture
def slm(raw_records):
    """A scripted small model, good until told otherwise; yields (script, base URL)."""
    script = ScriptedSLM(raw_records)
    with running(script.app()) as url:
        yield script, url + "/v1"
