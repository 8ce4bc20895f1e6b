"""Compare predicted tool calls with the reference: BFCL-style normalisation, exact and
meaning-level matching, and JSON Schema validity."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jsonschema
import orjson
import referencing.exceptions

from slmconvert.evaluation.answers import Call

Similarity = Callable[[str, str], float]
"""Meaning-level similarity of two texts, higher is closer (the eval stage passes the embedder's
cosine; anything with the same signature works, e.g. a difflib ratio)."""

_IGNORED = re.compile(r"[\s,./\-_*^]")
_ID_SUFFIX = re.compile(r"(?:^|_)ids?$", re.IGNORECASE)
_ID_CAMEL = re.compile(r"[a-z0-9](?:Id|ID|Ids|IDs)$")


def normalise(value: Any) -> Any:
    """BFCL-normalised, hashable form of a JSON value: strings lower-cased with spaces and
    ``,./-_*^`` removed and ``'`` read as ``"``; ints equal floats; booleans stay apart from
    numbers; lists keep their order; dicts compare key by key."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, str):
        return _IGNORED.sub("", value.lower()).replace("'", '"')
    if isinstance(value, int | float) or value is None:
        return value
    if isinstance(value, list | tuple):
        return ("list", tuple(normalise(v) for v in value))
    if isinstance(value, Mapping):
        return ("dict", tuple(sorted((str(k), normalise(v)) for k, v in value.items())))
    return str(value)


def arguments_exact(pred: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    """Every argument equal after normalisation, no argument missing or extra."""
    return normalise(pred) == normalise(ref)


def call_key(call: Call) -> tuple:
    """A hashable key for a call: its name and normalised arguments."""
    return (call.name, normalise(call.arguments))


def calls_key(calls: Iterable[Call]) -> frozenset:
    """A hashable key for a set of parallel calls, independent of their order."""
    return frozenset(Counter(map(call_key, calls)).items())


def names_match(pred: Sequence[Call], ref: Sequence[Call]) -> bool:
    """The same function names, as many times each, in any order."""
    return Counter(c.name for c in pred) == Counter(c.name for c in ref)


def calls_exact(pred: Sequence[Call], ref: Sequence[Call]) -> bool:
    """The same calls with exactly equal (normalised) arguments, parallel calls in any order."""
    return Counter(map(call_key, pred)) == Counter(map(call_key, ref))


def is_id_name(name: str) -> bool:
    """An argument name for an identifier: ``id``, ``*_id``, ``*_ids``, ``orderId``..."""
    return bool(_ID_SUFFIX.search(name) or _ID_CAMEL.search(name))


def is_id_value(value: str) -> bool:
    """A string that reads as an identifier, not prose: one token containing a digit
    (``ORD-2025-001234``, ``5333``, ``2025-01-15``)."""
    return (
        bool(value) and not any(ch.isspace() for ch in value) and any(ch.isdigit() for ch in value)
    )


def _ids_in(text: str) -> set[str]:
    """The identifier-like tokens of a free text (at least 4 characters, with a digit)."""
    tokens = (t.strip("()[]{}<>\"'.,;:!?") for t in text.split())
    return {normalise(t) for t in tokens if len(t) >= 4 and is_id_value(t)}


def _is_strict(name: str, ref: Any, schema: Mapping[str, Any]) -> bool:
    if not isinstance(ref, str):
        return True
    return is_id_name(name) or "enum" in schema or is_id_value(ref)


def _value_match(
    name: str, pred: Any, ref: Any, schema: Any, similarity: Similarity, threshold: float
) -> bool:
    schema = schema if isinstance(schema, Mapping) else {}
    if isinstance(ref, Mapping):
        return isinstance(pred, Mapping) and _arguments_match(
            pred, ref, schema, similarity, threshold
        )
    if isinstance(ref, list):
        if not isinstance(pred, list) or len(pred) != len(ref):
            return False
        items = schema.get("items")
        return all(
            _value_match(name, p, r, items, similarity, threshold)
            for p, r in zip(pred, ref, strict=True)
        )
    if normalise(pred) == normalise(ref):
        return True
    if _is_strict(name, ref, schema) or not isinstance(pred, str):
        return False
    # Free text matches by meaning, but an order number or date inside it must still be exact.
    return _ids_in(ref) <= _ids_in(pred) and similarity(pred, ref) >= threshold


def _arguments_match(
    pred: Mapping[str, Any],
    ref: Mapping[str, Any],
    schema: Mapping[str, Any],
    similarity: Similarity,
    threshold: float,
) -> bool:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) and properties else None
    required = schema.get("required") if properties else None
    if any(key not in pred for key in required or ()):
        return False
    if any(key not in ref and (properties is None or key not in properties) for key in pred):
        return False
    return all(
        key in pred
        and _value_match(key, pred[key], value, (properties or {}).get(key), similarity, threshold)
        for key, value in ref.items()
    )


@functools.lru_cache(maxsize=512)
def _parameters(text: str) -> dict:
    try:
        schema = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return schema if isinstance(schema, dict) else {}


def _schema_text(tool: Mapping[str, Any]) -> str:
    parameters = tool.get("parameters")
    if isinstance(parameters, str):
        return parameters
    return orjson.dumps(parameters or {}, option=orjson.OPT_SORT_KEYS).decode()


def _perfect_matching(fits: list[list[bool]]) -> bool:
    """Can every reference (row) be paired with its own prediction (column)? (Kuhn's algorithm)"""
    owner: dict[int, int] = {}

    def assign(row: int, seen: set[int]) -> bool:
        for col, ok in enumerate(fits[row]):
            if ok and col not in seen:
                seen.add(col)
                if col not in owner or assign(owner[col], seen):
                    owner[col] = row
                    return True
        return False

    return all(assign(row, set()) for row in range(len(fits)))


def call_match(
    pred: Sequence[Call],
    ref: Sequence[Call],
    tools: Sequence[Mapping[str, Any]],
    similarity: Similarity,
    threshold: float = 0.8,
) -> bool:
    """Do the predicted calls do what the reference calls do?

    Same number of calls and names (parallel calls in any order). Per argument of the
    reference: identifiers (by name or by value), enums, numbers and booleans must be equal after
    normalisation; free text must reach ``similarity >= threshold`` and keep any identifier it
    contains. A required or reference argument the prediction lacks fails; an extra predicted
    argument passes only when the tool's schema declares it.
    """
    if len(pred) != len(ref) or not names_match(pred, ref):
        return False
    schemas = {t["name"]: _parameters(_schema_text(t)) for t in tools}
    fits = [
        [
            p.name == r.name
            and _arguments_match(
                p.arguments, r.arguments, schemas.get(r.name, {}), similarity, threshold
            )
            for p in pred
        ]
        for r in ref
    ]
    return _perfect_matching(fits)


@functools.lru_cache(maxsize=512)
def _validator(text: str) -> jsonschema.protocols.Validator | None:
    try:
        schema = orjson.loads(text)
        if not isinstance(schema, dict | bool):
            return None
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except (orjson.JSONDecodeError, jsonschema.SchemaError):
        return None
    return cls(schema)


def schema_valid(calls: Sequence[Call], tools: Sequence[Mapping[str, Any]]) -> bool:
    """Every call names a known tool and its arguments validate against that tool's
    ``parameters`` JSON Schema (a tool whose schema is not valid JSON Schema validates nothing)."""
    schemas = {t["name"]: _schema_text(t) for t in tools}
    for call in calls:
        if call.name not in schemas:
            return False
        validator = _validator(schemas[call.name])
        try:
            if validator is None or not validator.is_valid(call.arguments):
                return False
        except referencing.exceptions.Unresolvable:
            return False
    return True
