"""The rollout manifest: validation against the shipped JSON Schema, and its YAML/JSON text."""

from __future__ import annotations

from functools import cache
from importlib import resources

import orjson

from slmconvert.core.errors import StageError
from slmconvert.deploy.serve import dump_yaml

SCHEMA_FILE = "rollout.schema.json"
VERSION = 1


@cache
def schema() -> dict:
    """The rollout JSON Schema that ships in ``slmconvert/deploy/``."""
    return orjson.loads(resources.files("slmconvert.deploy").joinpath(SCHEMA_FILE).read_bytes())


def problems(doc: dict) -> list[str]:
    """Every schema violation of ``doc`` as ``path: message`` (empty when valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    found = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        found.append(f"{where}: {error.validator} {_constraint(error)}")
    return found


def _constraint(error) -> str:
    # the schema's side only: error.message would quote the offending value
    value = error.validator_value
    if isinstance(value, dict | list):
        return "not met"
    return f"{value!r} not met"


def validate(doc: dict) -> None:
    """Raise StageError naming where ``doc`` breaks the rollout schema."""
    found = problems(doc)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise StageError(
            f"rollout manifest is not valid against {SCHEMA_FILE}: {found[0]}{more}",
            "this is a bug in slmconvert deploy; rerun with --debug and report it",
        )


def to_json(doc: dict) -> bytes:
    """The manifest as indented UTF-8 JSON."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


def to_yaml(doc: dict) -> str:
    """The manifest as YAML, keys in document order."""
    header = (
        "# Written by `slmconvert deploy`; the same content as rollout.json, valid against\n"
        f"# slmconvert/deploy/{SCHEMA_FILE}.\n"
    )
    return header + dump_yaml(doc)
