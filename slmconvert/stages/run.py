"""`run`: execute a recipe's stages in order, each into ``WORKDIR/NN_<stage>/``, with caching.

A stage is skipped as cached when its finished output was made with the same settings (config
hash) from the same input: the previous stage directory's manifest hash, and for files a stage
read (collect's logs, select's catalog) their sha256. Files are fingerprinted by path, size and
modification time in ``WORKDIR/run.json``, so unchanged logs are not read again to prove it; a
file whose fingerprint changed is hashed, and only a changed hash reruns the stage. Stage
outputs are written atomically, so a killed run leaves only finished stages and the next run
resumes after them.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from slmconvert.core.config import StageConfig
from slmconvert.core.errors import ConfigError
from slmconvert.core.progress import Progress
from slmconvert.core.records import SCHEMA_VERSION
from slmconvert.core.stagedir import MANIFEST, hash_json
from slmconvert.formats import sources
from slmconvert.stages import registry
from slmconvert.stages.recipe import Recipe
from slmconvert.stages.registry import Stage

RUN_FILE = "run.json"
REPORT_MODULE = "slmconvert.report"
# how a stage reports as it goes: a slmconvert.core.progress.Progress, a ``log(line)`` callback, or both


@dataclass
class StageRun:
    """What happened to one stage: ``ran`` or ``cached``, where, how long, its scalar counts."""

    stage: str
    output: Path
    status: Literal["ran", "cached"]
    seconds: float
    counts: dict[str, Any]
    reason: str = ""


@dataclass
class RunSummary:
    """The outcome of a recipe run: one entry per stage run or found cached, and the report."""

    workdir: Path
    stages: list[StageRun] = field(default_factory=list)
    report: Path | None = None
    notes: list[str] = field(default_factory=list)


class FileIndex:
    """Fingerprints (size, mtime) of input files with their sha256, kept in ``WORKDIR/run.json``."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            self.data = {}
        self.files: dict[str, dict] = self.data.setdefault("files", {})

    def sha256(self, path: str | None) -> str | None:
        """The file's sha256: from its fingerprint when unchanged, else by reading it."""
        if not path or not os.path.isfile(path):
            return None
        stat = os.stat(path)
        known = self.files.get(path)
        if known and known["size"] == stat.st_size and known["mtime_ns"] == stat.st_mtime_ns:
            return known["sha256"]
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        self.remember(path, digest, stat)
        return digest

    def remember(self, path: str, digest: str, stat: os.stat_result | None = None) -> None:
        """Record a file's sha256 against its current size and mtime."""
        try:
            stat = stat or os.stat(path)
        except OSError:
            return
        self.files[path] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(self.data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        os.replace(tmp, self.path)


def run(
    recipe: Recipe,
    *,
    workdir: str | Path | None = None,
    start: str | None = None,
    stop: str | None = None,
    force: bool = False,
    log: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Run ``recipe``'s stages in order, skipping cached ones; returns what ran.

    ``start`` reruns from that stage on even when cached (``--from``), ``stop`` ends after that
    stage (``--to``), ``force`` reruns every stage. ``log`` receives one line per stage event;
    ``progress`` is handed to stages that report progress.
    """
    log = log or (lambda line: None)
    plan = _plan(recipe, start, stop)
    root = Path(os.path.abspath(workdir if workdir is not None else recipe.workdir))
    summary = RunSummary(root)
    index = FileIndex(root / RUN_FILE)
    first = plan[0][0].name
    previous = None if first == "collect" else Path(os.path.abspath(recipe.inputs[0]))
    forcing = force
    for spec, config in plan:
        forcing = forcing or spec.name == start
        out = root / registry.dirname(spec.name)
        reason = "forced" if forcing else _stale(spec, config, out, previous, recipe, index)
        if reason is None:
            manifest = _manifest(out)
            summary.stages.append(StageRun(spec.name, out, "cached", 0.0, _scalars(manifest)))
            log(f"{spec.name}: cached ({out})")
        else:
            log(f"{spec.name}: running ({reason}) → {out}")
            began = time.perf_counter()
            manifest = _execute(spec, config, previous, out, recipe, progress, log)
            seconds = time.perf_counter() - began
            summary.stages.append(
                StageRun(spec.name, out, "ran", seconds, _scalars(manifest), reason)
            )
            _remember_files(manifest, index)
            index.save()
            log(f"{spec.name}: done in {seconds:.1f} s")
        previous = out
    index.save()
    _report(summary)
    return summary


def _plan(recipe: Recipe, start: str | None, stop: str | None) -> list[tuple[Stage, Any]]:
    """The stages to visit, checked before anything runs."""
    selected = recipe.stages.selected()
    names = [spec.name for spec, _ in selected]
    for option, name in (("--from", start), ("--to", stop)):
        if name is not None and name not in names:
            raise ConfigError(
                f"{option} {name}: not a stage of this recipe; it has: {', '.join(names)}"
            )
    if start and stop and names.index(stop) < names.index(start):
        raise ConfigError(f"--to {stop}: comes before --from {start}")
    plan = selected[: names.index(stop) + 1] if stop else selected
    missing = [spec.name for spec, _ in plan if importlib.util.find_spec(spec.module) is None]
    if missing:
        raise ConfigError(
            f"stage {', '.join(f'`{m}`' for m in missing)} is not available in this version",
            f"end the recipe before it, or pass --to {_before(names, missing[0])}",
        )
    if plan[0][0].name != "collect" and len(recipe.inputs) != 1:
        raise ConfigError(
            f"inputs: a recipe starting at `{plan[0][0].name}` reads one stage directory"
        )
    return plan


def _before(names: list[str], name: str) -> str:
    at = names.index(name)
    return names[at - 1] if at else registry.names()[0]


def _manifest(out: Path) -> dict | None:
    try:
        return orjson.loads((out / MANIFEST).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


def _manifest_hash(stage_dir: Path | str) -> str | None:
    try:
        return hashlib.sha256((Path(stage_dir) / MANIFEST).read_bytes()).hexdigest()
    except OSError:
        return None


def algorithm_of(spec: Stage) -> int:
    """The algorithm version of a stage's module (1 unless it declares ``ALGORITHM``)."""
    return getattr(importlib.import_module(spec.module), "ALGORITHM", 1)


def _stale(
    spec: Stage,
    config: StageConfig,
    out: Path,
    previous: Path | None,
    recipe: Recipe,
    index: FileIndex,
) -> str | None:
    """Why the stage must run, or None when its existing output is still valid."""
    manifest = _manifest(out)
    if manifest is None:
        return "no finished output yet"
    if manifest.get("stage") != spec.name:
        return f"output holds `{manifest.get('stage')}`"
    if manifest.get("config_hash") != hash_json(config.model_dump(mode="json")):
        return "settings changed"
    if manifest.get("algorithm", 1) != algorithm_of(spec):
        return "made by another version of the stage's algorithm"
    if manifest.get("schema_version", 1) != SCHEMA_VERSION:
        return f"records of schema {manifest.get('schema_version', 1)}, now {SCHEMA_VERSION}"
    inputs = [e for e in manifest.get("inputs", []) if isinstance(e, dict)]
    if spec.name == "collect":
        now = {f.path for f in sources.expand(recipe.inputs)}
        if now != {e.get("path") for e in inputs}:
            return "input files added or removed"
    elif previous is not None and not any(
        e.get("manifest_hash") == _manifest_hash(previous) for e in inputs
    ):
        return "input changed"
    for entry in inputs:
        if entry.get("sha256") and index.sha256(entry.get("path")) != entry["sha256"]:
            return f"{entry.get('path')} changed"
    return None


def _execute(
    spec: Stage,
    config: StageConfig,
    previous: Path | None,
    out: Path,
    recipe: Recipe,
    progress: Progress | None,
    log: Callable[[str], None],
) -> dict:
    """Run one stage function (replacing an old output) and return its manifest."""
    source: Any = recipe.inputs if spec.name == "collect" else previous
    extra: dict[str, Any] = {}
    if spec.reports in ("progress", "both") and progress is not None:
        extra["progress"] = progress
    if spec.reports in ("log", "both") and log is not None:
        extra["log"] = lambda line: log(f"{spec.name}: {line}")
    result = spec.runner()(source, out, config, force=True, **extra)
    return result.manifest


def _remember_files(manifest: dict, index: FileIndex) -> None:
    """Fingerprint the files a stage just read, so the next run need not hash them again."""
    for entry in manifest.get("inputs", []):
        if isinstance(entry, dict) and entry.get("sha256") and entry.get("path"):
            index.remember(entry["path"], entry["sha256"])


def _scalars(manifest: dict | None) -> dict[str, Any]:
    counts = (manifest or {}).get("counts", {})
    return {
        k: v for k, v in counts.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }


def _report(summary: RunSummary) -> None:
    """Write the run report when the report module is installed."""
    if importlib.util.find_spec(REPORT_MODULE) is None:
        summary.notes.append("no report: this version has no `slmconvert.report`")
        return
    report = importlib.import_module(REPORT_MODULE)
    summary.report = Path(report.write_report(summary.workdir))
