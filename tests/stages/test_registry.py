"""A stage added through the registry alone runs from a recipe like the built-in ones."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from pydantic import Field

from slmconvert.core.config import StageConfig
from slmconvert.core.stagedir import StageOutput, StageResult, open_input
from slmconvert.stages import recipe as recipes
from slmconvert.stages import registry
from slmconvert.stages import run as runner

LOGS = Path(__file__).resolve().parents[2] / "examples" / "logs"


class WordCountConfig(StageConfig):
    """Settings of the toy `wordcount` stage: count the words of each call's user turns."""

    min_words: int = Field(1, ge=0, description="Count only calls with at least this many words.")


def wordcount(input_dir, output, config: WordCountConfig, *, force: bool = False) -> StageResult:
    """The toy stage: reads the records of the stage before, writes a count and its records."""
    src = open_input(input_dir)
    rows = src.read_table(["id", "messages"]).to_pylist()
    words = [
        sum(len((m["content"] or "").split()) for m in r["messages"] if m["role"] == "user")
        for r in rows
    ]
    kept = sum(w >= config.min_words for w in words)
    entry = [src.as_input_entry()]  # what `run` checks to know the output is still valid
    with StageOutput(output, "wordcount", config.model_dump(), inputs=entry, force=force) as out:
        out.copy_forward(src, ())
        (out.path / "words.json").write_bytes(orjson.dumps({"total": sum(words)}))
        out.counts = {"records": len(rows), "kept": kept}
    return StageResult(out.out, out.manifest)


@pytest.fixture
def toy_stage():
    stage = registry.register(
        registry.Stage("wordcount", WordCountConfig, wordcount, reports="none",
                       outputs=("words.json",)),
        after="collect",
    )  # fmt: skip
    yield stage
    registry.unregister("wordcount")


def test_a_registered_toy_stage_runs_from_a_recipe_between_collect_and_pii(toy_stage, tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text(
        f"inputs: {LOGS}\nworkdir: work\nstages:\n  collect:\n  wordcount:\n    min_words: 3\n"
    )
    loaded = recipes.load(path)
    summary = runner.run(loaded)

    assert [s.stage for s in summary.stages] == ["collect", "wordcount"]
    done = tmp_path / "work" / "02_wordcount"
    manifest = orjson.loads((done / "manifest.json").read_bytes())
    assert manifest["config"]["min_words"] == 3
    assert 0 < manifest["counts"]["kept"] <= manifest["counts"]["records"]
    assert orjson.loads((done / "words.json").read_bytes())["total"] > 0
    assert registry.producers()["words.json"] == "wordcount"
    assert "stages.wordcount" in recipes.markdown()  # the recipes README would document it

    again = runner.run(loaded)
    assert [s.status for s in again.stages] == ["cached", "cached"]


def test_the_toy_stage_is_refused_out_of_order_and_gone_once_unregistered(toy_stage, tmp_path):
    from slmconvert.core.errors import ConfigError

    path = tmp_path / "recipe.yaml"
    path.write_text(f"inputs: {LOGS}\nworkdir: work\nstages:\n  pii:\n  wordcount:\n")
    with pytest.raises(ConfigError, match="`wordcount` must come before `pii`"):
        recipes.load(path)

    registry.unregister("wordcount")
    with pytest.raises(ConfigError, match="wordcount"):
        recipes.load(path)
    registry.register(toy_stage, after="collect")  # the fixture removes it again
