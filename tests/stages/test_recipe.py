"""Recipes: YAML files validated by the stage settings models, with line-precise errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from slmconvert.core.config import FinetuneConfig, SelectConfig
from slmconvert.core.errors import ConfigError
from slmconvert.stages import recipe, registry

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
description: a small run
inputs: [logs/agent.jsonl]
workdir: work
stages:
  collect:
  pii:
    recognizers:
      - {entity: CUSTOMER_ID, regex: 'CUST-\\d{6}'}
  select:
    models: [tiny-test]
    include_test_models: true
  finetune:
    method: full
    lora_r: 8
"""


def write(tmp_path: Path, text: str, name: str = "recipe.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def error_of(path: Path, overrides: list[str] = ()) -> str:
    with pytest.raises(ConfigError) as caught:
        recipe.load(path, overrides)
    return str(caught.value)


def test_a_recipe_holds_the_stage_settings_with_paths_from_its_directory(tmp_path):
    loaded = recipe.load(write(tmp_path, GOOD))

    assert loaded.inputs == [str(tmp_path / "logs" / "agent.jsonl")]
    assert loaded.workdir == str(tmp_path / "work")
    names = [spec.name for spec, _ in loaded.stages.selected()]
    assert names == ["collect", "pii", "select", "finetune"]
    assert loaded.stages.collect.dedup is True  # `collect:` with nothing under it = defaults
    # finetune's lora_r reaches select, which sizes training memory the same way
    assert loaded.stages.select == SelectConfig(
        models=["tiny-test"], include_test_models=True, lora_r=8
    )
    assert loaded.stages.finetune == FinetuneConfig(method="full", lora_r=8)
    assert [registry.dirname(spec.name) for spec, _ in loaded.stages.selected()] == [
        "01_collect",
        "02_pii",
        "04_select",
        "05_finetune",
    ]


def test_select_sizes_memory_as_the_recipes_finetune_trains_unless_told_otherwise(tmp_path):
    path = write(tmp_path, GOOD)

    loaded = recipe.load(path, ["finetune.max_seq_len=1024", "finetune.batch_size=2"])
    own = recipe.load(path, ["finetune.max_seq_len=1024", "select.train_seq_len=512"])

    assert (loaded.stages.select.train_seq_len, loaded.stages.select.train_batch_size) == (1024, 2)
    assert own.stages.select.train_seq_len == 512


def test_set_overrides_a_setting_with_a_yaml_value(tmp_path):
    path = write(tmp_path, GOOD)
    loaded = recipe.load(path, ["select.top_k=1", "finetune.target_modules=[q_proj, v_proj]"])

    assert loaded.stages.select.top_k == 1
    assert loaded.stages.finetune.target_modules == ["q_proj", "v_proj"]


def test_a_bad_value_names_file_line_and_key_path(tmp_path):
    path = write(tmp_path, GOOD.replace("lora_r: 8", "lora_r: 0"))

    assert error_of(path) == (f"{path}:14: stages.finetune.lora_r: Input should be greater than 0")


def test_a_key_typo_names_its_line_and_the_known_keys(tmp_path):
    path = write(tmp_path, GOOD.replace("include_test_models", "include_test_modles"))

    message = error_of(path)
    assert message.startswith(f"{path}:11: stages.select.include_test_modles: unknown key; ")
    assert "include_test_models" in message


def test_every_error_is_reported_each_on_its_line(tmp_path):
    text = GOOD.replace("lora_r: 8", "lora_r: 0").replace("method: full", "method: fast")

    lines = error_of(write(tmp_path, text)).splitlines()
    assert [line.split(": ")[0:2] for line in lines] == [
        [f"{tmp_path / 'recipe.yaml'}:13", "stages.finetune.method"],
        [f"{tmp_path / 'recipe.yaml'}:14", "stages.finetune.lora_r"],
    ]


def test_an_item_of_a_list_is_located_on_its_own_line(tmp_path):
    text = GOOD.replace("models: [tiny-test]", "models:\n    - tiny-test\n    - {a: 1}")

    message = error_of(write(tmp_path, text))
    assert message.startswith(f"{tmp_path / 'recipe.yaml'}:12: stages.select.models[1]: ")


def test_an_unknown_stage_lists_the_stages(tmp_path):
    path = write(tmp_path, GOOD.replace("  select:", "  choose:"))

    message = error_of(path)
    assert message.startswith(f"{path}:9: stages.choose: unknown key; known keys: collect, pii")


def test_stages_out_of_pipeline_order_are_refused_at_the_misplaced_stage(tmp_path):
    text = GOOD.replace("  collect:\n", "") + "  collect: {}\n"

    message = error_of(write(tmp_path, text))
    assert message.startswith(f"{tmp_path / 'recipe.yaml'}:14: stages: `collect` must come before")


def test_a_missing_key_is_named_at_the_mapping_that_lacks_it(tmp_path):
    path = write(tmp_path, GOOD.replace("workdir: work\n", ""))

    assert error_of(path) == f"{path}:1: workdir: required key missing"


def test_a_repeated_key_is_refused_at_its_second_line(tmp_path):
    path = write(tmp_path, GOOD + "  finetune:\n    method: lora\n")

    assert error_of(path).startswith(f"{path}:15: `finetune` repeated")


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    path = write(tmp_path, GOOD.replace("    method: full", "    method: [full"))

    assert error_of(path).startswith(f"{path}:14: YAML syntax error: ")


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("select.top_k=0", "--set select.top_k: Input should be greater than or equal to 1"),
        ("select.top_kk=2", "--set select.top_kk: unknown key; known keys: seed, catalog"),
        ("cluster.dims=3", "--set cluster.dims: the recipe has no stage `cluster`"),
        ("choose.top_k=1", "--set choose.top_k: unknown stage; stages: collect, pii"),
        ("top_k=1", "--set top_k: expected STAGE.KEY=VALUE"),
    ],
)
def test_a_bad_override_names_the_set_option(tmp_path, override, expected):
    assert error_of(write(tmp_path, GOOD), [override]).startswith(expected)


def test_the_cli_reports_a_malformed_recipe_with_exit_2_before_running_anything(tmp_path, cli):
    path = write(tmp_path, GOOD.replace("lora_r: 8", "lora_r: 0"))

    result = cli("run", path)

    assert result.exit_code == 2
    assert f"error: {path}:14: stages.finetune.lora_r: " in result.stderr
    assert not (tmp_path / "work").exists()


@pytest.mark.parametrize("name", ["demo.yaml", "qwen3-gpu.yaml"])
def test_the_shipped_recipes_are_valid_and_read_the_example_logs(name):
    loaded = recipe.load(ROOT / "recipes" / name)

    assert loaded.inputs == [str(ROOT / "examples" / "logs")]
    assert [spec.name for spec, _ in loaded.stages.selected()] == list(registry.names())


def test_the_recipes_readme_documents_every_key_of_the_models():
    section = recipe.readme_section()

    assert section == recipe.markdown(), (
        "recipes/README.md is stale: python -m slmconvert.stages.recipe"
    )
    for spec in registry.stages():
        for key in spec.config.model_fields:
            assert f"| `{key}` |" in section.partition(f"`stages.{spec.name}`")[2]
