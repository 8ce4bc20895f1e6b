"""The parser registry: one entry per log format, each a name, a sniff and a parse.

A parser turns one raw JSON object (a JSONL line, an element of a JSON array, or a whole JSON
file) into zero or more canonical records. It yields record dicts (built with
`slmconvert.core.records.new_record`) or `Ignored(reason)` for objects that are valid but are not an
LLM call (a tool span, a failed call); it raises `BadRecord(field, reason)` for a malformed
object. A parser whose one object holds many calls (an OTLP export) may instead *yield* a
`BadRecord` for one bad item and carry on with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from slmconvert.core.errors import ConfigError


@dataclass(frozen=True)
class Ignored:
    """A valid object that is not an LLM call to keep (counted by reason, not as bad input)."""

    reason: str


@dataclass
class ParseContext:
    """Where an object came from, plus side inputs (e.g. a batch input file joined on custom_id)."""

    format: str
    file: str
    line: int
    side: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> dict:
        return {"format": self.format, "file": self.file, "line": self.line}


@dataclass(frozen=True)
class SideInput:
    """A companion file a format joins with (e.g. the Batch API's input file).

    ``sniff(obj)`` recognises its objects; ``index(obj)`` returns the ``(key, value)`` pairs to
    store under ``ParseContext.side[name]``. With ``also_data`` the file is parsed as records
    too (a Responses log is both its own calls and the history later calls chain to). With
    ``refs``, only keys that some object of these files names (``refs(obj)``) are stored, so
    the index holds what is joined, not the whole log. ``finish(table)``, when given, runs once
    every companion file is indexed (to resolve entries that refer to each other) and returns
    the table to keep.
    """

    name: str
    sniff: Callable[[dict], bool]
    index: Callable[[dict], Iterable[tuple[str, Any]]]
    also_data: bool = False
    refs: Callable[[dict], Iterable[str]] | None = None
    finish: Callable[[dict], dict] | None = None


@dataclass(frozen=True)
class Parser:
    """A log format: ``sniff(obj)`` says whether an object looks like it, ``parse`` converts it."""

    name: str
    description: str
    sniff: Callable[[Any], bool]
    parse: Callable[[Any, ParseContext], Iterator[Any]]
    side_input: SideInput | None = None


_REGISTRY: dict[str, Parser] = {}


def register(parser: Parser) -> Parser:
    """Add a parser; a second parser with the same name is an error."""
    if parser.name in _REGISTRY:
        raise ValueError(f"format {parser.name!r} is already registered")
    _REGISTRY[parser.name] = parser
    return parser


def get(name: str) -> Parser:
    """The parser called ``name``; an unknown name lists the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown format '{name}'", f"choose one of: {', '.join(sorted(_REGISTRY))}"
        ) from None


def names() -> list[str]:
    """Registered format names, in detection order."""
    return list(_REGISTRY)


def parsers() -> list[Parser]:
    """Registered parsers, in detection order (most specific first)."""
    return list(_REGISTRY.values())


def detect(obj: Any) -> Parser | None:
    """The first parser whose sniff accepts ``obj``, or None."""
    for parser in _REGISTRY.values():
        try:
            if parser.sniff(obj):
                return parser
        except Exception:  # a sniff must never take collect down; treat as "not mine"
            continue
    return None


def detect_side_input(obj: Any) -> tuple[Parser, SideInput] | None:
    """The parser whose side input (companion file) ``obj`` belongs to, or None."""
    for parser in _REGISTRY.values():
        side = parser.side_input
        if side is not None:
            try:
                if side.sniff(obj):
                    return parser, side
            except Exception:
                continue
    return None
