"""`slmconvert run`: a recipe's stages in order, cached when unchanged, resumed after a crash."""

from __future__ import annotations

import gzip
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from slmconvert.stages import recipe, run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STAGES = ("01_collect", "02_pii", "03_cluster", "04_select")


def small_log(path: Path, lines: int) -> Path:
    """The first ``lines`` calls of one example log: a quick but real pipeline input."""
    with gzip.open(EXAMPLES / "logs" / "flywheel.openai.jsonl.gz", "rb") as log:
        path.write_bytes(b"".join(itertools.islice(log, lines)))
    return path


def write_recipe(folder: Path, log: Path, embeddings: Path, stages: str = "all") -> Path:
    text = f"""\
inputs: [{log}]
workdir: work
stages:
  collect:
  pii: {{workers: 1}}
"""
    if stages == "all":
        text += f"""\
  cluster: {{cache_dir: {embeddings}, min_cluster_size: 10}}
  select: {{min_records: 5, include_test_models: true}}
"""
    path = folder / "recipe.yaml"
    path.write_text(text)
    return path


def written(workdir: Path) -> dict[str, int]:
    """When each stage's manifest was written (ns): unchanged means the stage did no work."""
    return {
        name: (workdir / name / "manifest.json").stat().st_mtime_ns
        for name in STAGES
        if (workdir / name / "manifest.json").exists()
    }


def statuses(summary: run.RunSummary) -> dict[str, str]:
    return {item.stage: item.status for item in summary.stages}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    return small_log(folder / "agent.jsonl", 200), folder / "embeddings"


@pytest.fixture(scope="module")
def finished(tmp_path_factory, inputs):
    """A recipe run first with --to pii, then in full; returns its path and both summaries."""
    path = write_recipe(tmp_path_factory.mktemp("recipe"), *inputs)
    loaded = recipe.load(path)
    first = run.run(loaded, stop="pii")
    second = run.run(loaded)
    return path, first, second


@pytest.fixture
def workdir(finished, tmp_path) -> Path:
    """A copy of the finished work directory for a test to rerun in."""
    copy = tmp_path / "work"
    shutil.copytree(finished[0].parent / "work", copy)
    return copy


def test_to_stops_after_a_stage_and_the_next_run_continues_from_there(finished):
    path, first, second = finished

    assert statuses(first) == {"collect": "ran", "pii": "ran"}
    assert statuses(second) == {
        "collect": "cached",
        "pii": "cached",
        "cluster": "ran",
        "select": "ran",
    }
    assert second.stages[3].output == path.parent / "work" / "04_select"
    assert second.stages[3].counts["records"] == 200
    assert orjson.loads((path.parent / "work" / "run.json").read_bytes())["files"]


def test_a_cached_rerun_does_no_work(finished, workdir, cli):
    before = written(workdir)

    result = cli("run", finished[0], "--workdir", workdir)

    assert result.exit_code == 0, result.output
    assert result.stderr.count(": cached (") == 4
    assert written(workdir) == before


def test_from_reruns_that_stage_and_the_ones_after_it(finished, workdir, cli):
    before = written(workdir)

    result = cli("run", finished[0], "--workdir", workdir, "--from", "cluster")

    assert result.exit_code == 0, result.output
    after = written(workdir)
    assert [name for name in STAGES if after[name] != before[name]] == ["03_cluster", "04_select"]


def test_a_changed_setting_reruns_its_stage_only(finished, workdir, cli):
    before = written(workdir)

    result = cli("run", finished[0], "--workdir", workdir, "--set", "select.top_k=1")

    assert result.exit_code == 0, result.output
    assert "select: running (settings changed)" in result.stderr
    after = written(workdir)
    assert [name for name in STAGES if after[name] != before[name]] == ["04_select"]
    manifest = orjson.loads((workdir / "04_select" / "manifest.json").read_bytes())
    assert manifest["config"]["top_k"] == 1


def test_collect_reruns_when_a_log_changes_not_when_it_is_only_touched(tmp_path, inputs):
    log = small_log(tmp_path / "agent.jsonl", 20)
    loaded = recipe.load(write_recipe(tmp_path, log, inputs[1], stages="collect"))

    assert statuses(run.run(loaded, stop="collect")) == {"collect": "ran"}
    os.utime(log, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert statuses(run.run(loaded, stop="collect")) == {"collect": "cached"}
    small_log(log, 30)
    rerun = run.run(loaded, stop="collect")
    assert statuses(rerun) == {"collect": "ran"}
    assert rerun.stages[0].reason == f"{log} changed"
    assert rerun.stages[0].counts["records"] == 30


def test_a_killed_run_resumes_after_its_last_finished_stage(tmp_path, inputs):
    path = write_recipe(tmp_path, *inputs)
    work = tmp_path / "work"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
    child = subprocess.Popen(
        [sys.executable, "-m", "slmconvert", "run", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not (work / "01_collect" / "manifest.json").exists() and child.poll() is None:
        assert time.monotonic() < deadline, "collect did not finish"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)  # a crash: no cleanup of any kind
    child.wait()
    assert not (work / "04_select").exists()

    resumed = run.run(recipe.load(path))

    assert statuses(resumed) == {
        "collect": "cached",
        "pii": "ran",
        "cluster": "ran",
        "select": "ran",
    }
    assert [p.name for p in work.iterdir() if ".tmp-" in p.name] == []
    assert set(written(work)) == set(STAGES)
