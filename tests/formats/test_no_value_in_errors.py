"""No value from a log reaches an error: every field of every format's sample, broken in turn."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest

from slmconvert import formats
from slmconvert.formats import parsing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
CANARY = "canary-51c2 jane.roe@example.net"
BROKEN = (CANARY, {CANARY: CANARY}, [CANARY], 7, None)
"""What each leaf becomes in turn: the canary as a value, as a key, in a list; wrong types."""


def samples() -> list[tuple[str, dict]]:
    """(format, object) for the first LLM calls of every JSONL fixture, by detected format."""
    out = []
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for line in path.read_bytes().splitlines()[:3]:
            obj = orjson.loads(line)
            parser = formats.detect(obj)
            if parser and parsing._parse_chunk(parser.name, "log.jsonl", [(1, obj)]).keys:
                out.append((parser.name, obj))
    return out


def leaf_paths(node, path=()):
    """Every path to a scalar or empty container inside ``node``."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaf_paths(value, (*path, key))
    elif isinstance(node, list) and node:
        for i, value in enumerate(node):
            yield from leaf_paths(value, (*path, i))
    else:
        yield path


def broken(obj: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(obj)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


@pytest.mark.parametrize(("name", "obj"), samples(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_canary_in_any_field_never_reaches_the_error(name, obj):
    items = [
        (i, broken(obj, path, value))
        for i, (path, value) in enumerate((p, v) for p in leaf_paths(obj) if p for v in BROKEN)
    ]

    result = parsing._parse_chunk(name, "log.jsonl", items)

    assert result.bad, "some of these must be bad records"
    for line, field, reason in result.bad:
        assert "canary" not in field and "jane.roe" not in field, (line, field)
        assert "canary" not in reason and "jane.roe" not in reason, (line, reason)
