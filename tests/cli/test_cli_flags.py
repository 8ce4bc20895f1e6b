"""Every setting of every stage is a flag of its command, with the same default and help."""

from __future__ import annotations

import types
import typing

import pytest
import typer.main

from slmconvert.cli import app
from slmconvert.stages import registry

STAGES = {spec.name: spec.config for spec in registry.stages()}  # every stage a recipe can run
# settings whose flag takes another shape than the field (one value per flag, singular name)
RENAMED = {"clusters": "cluster", "allow_list": "allow", "recognizers": "recognizer"}


def _params(command: str) -> dict:
    group = typer.main.get_command(app)
    return {p.name: p for p in group.commands[command].params}


def _choices(annotation) -> set:
    """The types a field takes: the members of a union, else the field's own type."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    members = typing.get_args(annotation) if union else ()
    return {typing.get_origin(a) or a for a in members or (annotation,)}


def _as_field(value, annotation):
    """A flag's default read the way the command reads it (comma lists, K=V maps)."""
    kinds = _choices(annotation)
    if not isinstance(value, str) or str in kinds:
        return value
    if dict in kinds:
        return {k: float(v) for k, v in (item.split("=") for item in value.split(","))}
    if list in kinds:
        return [p for p in value.split(",") if p]
    return value


@pytest.mark.parametrize("command", STAGES)
def test_every_setting_is_a_flag_with_its_default_and_help(command):
    model, params = STAGES[command], _params(command)

    for name, field in model.model_fields.items():
        param = params.get(RENAMED.get(name, name))
        assert param is not None, f"{command} has no flag for {name}"
        assert param.help.startswith(field.description), f"{command} --{name} help"
        cli_default = _as_field(param.default, field.annotation)
        if param.multiple or name == "clusters":
            cli_default = cli_default or field.default  # repeatable or id list: unset = default
        if cli_default is not None:  # read as the command reads it: through the model
            cli_default = getattr(model(**{name: cli_default}), name)
        assert cli_default == getattr(model(), name), f"{command} --{name} default"


def test_a_misspelt_map_flag_names_the_flag_and_the_shape(cli, tmp_path):
    result = cli("cluster", tmp_path, "-o", tmp_path / "out", "--signature-weights", "tools")

    assert result.exit_code == 2
    assert "--signature-weights: expected NAME=NUMBER pairs" in result.output


def test_the_cli_has_a_command_per_stage_and_per_registered_command_and_no_other():
    from slmconvert.stages.registry import COMMANDS

    group = typer.main.get_command(app)
    declared = {*STAGES, *(c.name for c in COMMANDS)}

    assert set(group.commands) == declared
    for command in COMMANDS:  # each lives in the module the registry names
        found = group.commands[command.name]
        if found.callback is None:  # a group of subcommands (rollout status/advance/...)
            found = next(iter(found.commands.values()))
        assert found.callback.__module__ == command.module, command.name
