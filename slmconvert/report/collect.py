"""Find a run's stage directories and load the files the report shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson

from slmconvert.core.errors import InputError
from slmconvert.core.stagedir import MANIFEST, open_input
from slmconvert.stages import registry


@dataclass
class Stage:
    """One finished stage directory of the run."""

    name: str
    path: Path
    manifest: dict


@dataclass
class Run:
    """What a work directory holds: its stages in pipeline order and their report files."""

    workdir: Path
    stages: dict[str, Stage]
    files: dict[str, dict] = field(default_factory=dict)
    centroids: object = None  # numpy array [n_clusters, dim] in clusters.json order, or None
    notes: list[str] = field(default_factory=list)

    def doc(self, name: str) -> dict | None:
        """A loaded report file (``clusters.json`` ...), or None when no stage wrote it."""
        return self.files.get(name)


def find_stages(workdir: Path) -> tuple[dict[str, Stage], list[str]]:
    """The stage directories under ``workdir`` by stage name (from each ``manifest.json``).

    Returns the stages in pipeline order and notes on directories that were passed over.
    """
    workdir = Path(workdir)
    if not workdir.is_dir():
        raise InputError(f"{workdir}: no such directory", "pass the work directory of a run")
    found: dict[str, Stage] = {}
    notes: list[str] = []
    # sorted names: with NN_ prefixes the later run of a stage wins
    for sub in sorted(p for p in workdir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (sub / MANIFEST).is_file():
            continue
        try:
            opened = open_input(sub)
        except InputError as exc:
            notes.append(f"skipped {sub.name}/: {exc.message}")
            continue
        if opened.stage in found:
            notes.append(
                f"{found[opened.stage].path.name}/ and {sub.name}/ are both "
                f"'{opened.stage}' stages; the report uses {sub.name}/"
            )
        found[opened.stage] = Stage(opened.stage, sub, opened.manifest)
    if not found:
        hint = "pass the parent directory that holds the stage directories"
        if not (workdir / MANIFEST).is_file():
            hint = "pass the work directory of `slmconvert run` (01_collect/, 02_pii/, ...)"
        raise InputError(
            f"{workdir}: holds no stage directories (subdirectories with a {MANIFEST})", hint
        )
    order = {name: i for i, name in enumerate(registry.names())}
    ranked = sorted(found.values(), key=lambda s: order.get(s.name, len(order)))
    return {s.name: s for s in ranked}, notes


def _read_json(path: Path) -> dict:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        raise InputError(f"{path}: not valid JSON", "rerun the stage that made it") from None


def _locate(stages: dict[str, Stage], name: str) -> Path | None:
    """The file from the stage that writes it, else from the latest stage that copied it."""
    producer = stages.get(registry.producers()[name])
    if producer is not None and (producer.path / name).is_file():
        return producer.path / name
    for stage in reversed(list(stages.values())):
        if (stage.path / name).is_file():
            return stage.path / name
    return None


def _centroids(stages: dict[str, Stage], clusters: dict | None):
    import numpy as np

    if not clusters or not clusters.get("clusters"):
        return None
    n = len(clusters["clusters"])
    for stage in stages.values():
        path = stage.path / "centroids.npy"
        if path.is_file():
            matrix = np.load(path, allow_pickle=False)
            if matrix.ndim == 2 and matrix.shape[0] == n:
                return matrix
    rows = [c.get("centroid") for c in clusters["clusters"]]
    if all(rows) and len({len(r) for r in rows}) == 1:
        return np.asarray(rows, dtype=np.float32)
    return None


def load(workdir: str | Path) -> Run:
    """Open a work directory: its stages, their report files and the cluster centroids."""
    stages, notes = find_stages(Path(workdir))
    run = Run(Path(workdir), stages, notes=notes)
    for name in registry.producers():
        path = _locate(stages, name)
        if path is not None:
            run.files[name] = _read_json(path)
    run.centroids = _centroids(stages, run.doc("clusters.json"))
    return run
