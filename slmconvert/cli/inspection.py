"""`slmconvert inspect`: a stage directory's manifest as a readable summary."""

from __future__ import annotations

import calendar
import time
from pathlib import Path

from rich.table import Table
from rich.text import Text

from slmconvert.core.errors import InputError
from slmconvert.core.stagedir import DATA, MANIFEST, open_input

# manifest keys shown in their own tables; any other key is shown under "details"
_KNOWN = {
    "stage", "slmconvert_version", "config", "config_hash", "inputs", "lineage", "counts",
    "metrics", "warnings", "versions", "seed", "started_at", "finished_at",
}  # fmt: skip


def _value(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, list):
        shown = ", ".join(_value(v) for v in value[:8])
        return f"[{shown}{', …' if len(value) > 8 else ''}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def flatten(mapping: dict, depth: int = 2, prefix: str = "") -> list[tuple[str, str]]:
    """Nested dicts as ('a.b', text) rows down to ``depth`` levels; deeper ones inline."""
    rows = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and depth > 1:
            rows.extend(flatten(value, depth - 1, name + "."))
        else:
            rows.append((name, _value(value)))
    return rows


def _table(
    title: str, rows: list[tuple[str, ...]], headers: tuple[str, ...] = (), numbers: bool = False
) -> Table:
    """A table of plain text (no rich markup: values may hold brackets); last column right-
    aligned when ``numbers``."""
    width = len(headers) or 2
    table = Table(title=Text(title), title_justify="left", show_header=bool(headers))
    for i in range(width):
        right = numbers and i == width - 1
        table.add_column(headers[i] if headers else "", justify="right" if right else "left")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _duration(started: str | None, finished: str | None) -> str:
    try:
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        seconds = calendar.timegm(time.strptime(finished, fmt)) - calendar.timegm(
            time.strptime(started, fmt)
        )
    except (TypeError, ValueError):
        return ""
    return f" ({seconds:,} s)"


def _input_rows(inputs: list[dict]) -> list[tuple[str, str, str]]:
    rows = []
    for item in inputs:
        kind = item.get("stage") or item.get("role") or item.get("format") or "file"
        digest = item.get("manifest_hash") or item.get("sha256") or ""
        rows.append((str(item.get("path", "")), str(kind), digest[:12]))
    return rows


def _artefacts(path: Path) -> list[str]:
    """Files and directories the stage wrote besides the manifest and the records."""
    names = []
    for child in sorted(path.iterdir()):
        if child.name in (MANIFEST, DATA) or child.name.startswith("."):
            continue
        names.append(child.name + ("/" if child.is_dir() else ""))
    shards = len(list((path / DATA).glob("*.parquet")))
    return [f"{DATA}/ ({shards} Parquet shard{'s' if shards != 1 else ''})", *names]


def _not_a_stage(path: Path) -> None:
    if not path.is_dir() or (path / MANIFEST).is_file():
        return
    stages = sorted(p.name for p in path.iterdir() if (p / MANIFEST).is_file())
    if stages:
        raise InputError(
            f"{path}: a work directory, not a stage directory",
            f"inspect one of its stage directories: {', '.join(stages)}",
        )


def describe(path: str | Path) -> list:
    """A stage directory's manifest as rich renderables: what made it, when, from what,
    its counts, metrics, warnings, package versions and lineage.

    Raises InputError when ``path`` is not a finished stage directory.
    """
    path = Path(path)
    _not_a_stage(path)
    stage = open_input(path)
    m = stage.manifest
    started, finished = m.get("started_at"), m.get("finished_at")
    about = [
        ("stage", stage.stage),
        ("directory", str(path)),
        ("when", f"{started or '—'} → {finished or '—'}{_duration(started, finished)}"),
        ("config hash", str(m.get("config_hash", "—"))[:12]),
        ("seed", _value(m.get("seed"))),
        ("lineage", " → ".join(
            f"{s['stage']} ({str(s.get('config_hash', ''))[:8]})" for s in stage.lineage
        ) or "—"),
        ("files", ", ".join(_artefacts(path))),
    ]  # fmt: skip
    out: list = [_table(f"{stage.stage} → {path}", about)]
    if m.get("inputs"):
        out.append(_table("inputs", _input_rows(m["inputs"]), ("path", "kind", "hash")))
    for key in ("config", "counts", "metrics"):
        if m.get(key):
            out.append(_table(key, flatten(m[key]), numbers=key != "config"))
    details = {k: v for k, v in m.items() if k not in _KNOWN and v not in (None, [], {})}
    if details:
        out.append(_table("details", flatten(details)))
    versions = m.get("versions", {})
    out.append(Text("versions: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "—")))
    out.extend(Text(f"warning: {w}") for w in m.get("warnings", []))
    return out
