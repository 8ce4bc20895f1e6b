"""`slmconvert inspect DIR`: a stage directory's manifest as a readable summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from slmconvert.cli.inspection import describe
from slmconvert.core.errors import InputError
from slmconvert.core.records import message, new_record
from slmconvert.core.stagedir import StageOutput, open_input

LINEAGE = [{"stage": "collect", "config_hash": "c0ffee00aa"}, {"stage": "pii", "config_hash": "b0"}]


@pytest.fixture
def stage_dir(tmp_path) -> Path:
    """A finished cluster stage: counts (one nested), metrics, a warning, an artefact."""
    out = tmp_path / "work" / "03_cluster"
    with StageOutput(
        out,
        "cluster",
        {"embedder": "all-MiniLM-L6-v2", "dims": 15},
        seed=7,
        lineage=LINEAGE,
        inputs=[{"path": "work/02_pii", "stage": "pii", "manifest_hash": "ab12cd34ef56aa"}],
    ) as o:
        o.records().write(
            [
                new_record(
                    source={"format": "openai", "file": "agent.jsonl", "line": 1},
                    messages=[message("user", "Where is my order?")],
                    response=message("assistant", "It ships today."),
                )
            ]
        )
        o.counts = {"records": 2993, "clusters": 7, "split": {"train": 2395, "eval": 598}}
        o.metrics = {"noise_share": 0.023054}
        o.warnings = ["[bold]few calls[/bold] in cluster 6"]
        (o.path / "clusters.json").write_text("{}")
    return out


def text_of(renderables: list) -> str:
    console = Console(record=True, width=120, file=io.StringIO())
    for item in renderables:
        console.print(item)
    return console.export_text()


def test_the_summary_says_what_made_the_directory_and_what_it_holds(stage_dir):
    manifest = open_input(stage_dir).manifest

    text = text_of(describe(stage_dir))

    assert "cluster → " in text
    assert manifest["config_hash"][:12] in text
    assert manifest["started_at"] in text and manifest["finished_at"] in text
    assert "collect (c0ffee00) → pii (b0) → cluster" in text
    assert "work/02_pii" in text and "ab12cd34ef56" in text
    assert "all-MiniLM-L6-v2" in text
    assert "2,993" in text and "split.train" in text and "2,395" in text
    assert "noise_share" in text and "0.02305" in text
    assert "clusters.json" in text and "data/ (1 Parquet shard)" in text
    assert "pyarrow" in text and "versions:" in text


def test_text_from_the_manifest_is_shown_literally(stage_dir):
    text = text_of(describe(stage_dir))

    assert "warning: [bold]few calls[/bold] in cluster 6" in text


def test_a_work_directory_names_the_stage_directories_to_inspect(stage_dir):
    with pytest.raises(InputError, match="a work directory, not a stage directory") as caught:
        describe(stage_dir.parent)
    assert "03_cluster" in str(caught.value)


def test_other_directories_are_refused(tmp_path):
    with pytest.raises(InputError, match="not a stage directory"):
        describe(tmp_path)
    with pytest.raises(InputError, match="no such stage directory"):
        describe(tmp_path / "missing")


def test_the_cli_prints_the_summary(cli, stage_dir):
    result = cli("inspect", stage_dir)

    assert result.exit_code == 0, result.output
    assert "cluster" in result.output and "noise_share" in result.output


def test_the_cli_explains_a_wrong_directory(cli, tmp_path):
    result = cli("inspect", tmp_path)

    assert result.exit_code == 2
    assert "not a stage directory" in result.stderr
