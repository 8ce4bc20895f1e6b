"""Format detection: every fixture object is claimed by its own parser and no other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmconvert import formats
from slmconvert.stages import collect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
LOGS = sorted(p for p in FIXTURES.iterdir() if p.stem != "openai-batch-input")


def objects(path: Path) -> list:
    if path.suffix == ".json":
        doc = json.loads(path.read_text())
        return doc if isinstance(doc, list) else [doc]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_there_is_one_fixture_per_registered_format():
    assert sorted(p.stem for p in LOGS) == sorted(formats.names())


@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.stem)
def test_each_fixture_is_detected_as_its_own_format(path):
    detected = {formats.detect(obj).name for obj in objects(path)}
    assert detected == {path.stem}


def test_collect_reads_every_format_in_one_run(tmp_path):
    result = collect.run([str(FIXTURES)], tmp_path / "out")
    assert sorted(result.counts["by_format"]) == sorted(formats.names())
    assert result.counts["bad"] == 0
    assert result.counts["ignored_by_reason"]["not an LLM call"] >= 3
    side = [i for i in result.manifest["inputs"] if i.get("role") == "side input"]
    assert [Path(i["path"]).name for i in side] == ["openai-batch-input.jsonl"]
    for entry in result.manifest["inputs"]:  # a file read twice (indexed, parsed) counted once
        assert entry["bytes"] == Path(entry["path"]).stat().st_size, entry["path"]
