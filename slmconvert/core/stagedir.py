"""Stage directories: every stage reads one and writes one.

Layout of a finished stage directory::

    OUT/manifest.json        what made it: stage, config + hash, inputs + hashes, counts, ...
    OUT/data/part-00000.parquet ...   canonical records (slmconvert.core.records.SCHEMA)
    OUT/...                  stage-specific artefacts (clusters.json, adapters/, ...)

Writes are atomic: everything goes into a temporary sibling directory that is renamed into place
only when complete, so a crash or Ctrl-C never leaves a partial OUT. A directory with a
manifest.json is finished; temporary directories of dead processes are swept on the next run.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from slmconvert import __version__
from slmconvert.core.errors import InputError, OutputExistsError
from slmconvert.core.records import SCHEMA, SCHEMA_VERSION, conform

MANIFEST = "manifest.json"
DATA = "data"
TMP_MARK = ".tmp-"
BASE_PACKAGES = ("pyarrow", "pydantic")
ROW_GROUP_ROWS = 1024


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def hash_json(obj: Any) -> str:
    """sha256 of an object's canonical JSON (sorted keys)."""
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


def package_versions(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Installed versions of the named distributions (missing ones are left out)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@dataclass
class StageInput:
    """A finished stage directory opened for reading."""

    path: Path
    manifest: dict
    manifest_hash: str

    @property
    def stage(self) -> str:
        return self.manifest["stage"]

    @property
    def lineage(self) -> list[dict]:
        """Every stage that produced these records, oldest first, this one included."""
        return self.manifest.get("lineage", [])

    def has_stage(self, name: str) -> bool:
        """Whether ``name`` is anywhere in this directory's lineage."""
        return any(step["stage"] == name for step in self.lineage)

    def data_files(self) -> list[Path]:
        """The Parquet shards, in order."""
        return sorted((self.path / DATA).glob("*.parquet"))

    def read_table(self, columns: list[str] | None = None) -> pa.Table:
        """All records as one pyarrow Table (canonical schema)."""
        files = self.data_files()
        if not files:
            return SCHEMA.empty_table() if columns is None else SCHEMA.empty_table().select(columns)
        return pa.concat_tables(pq.read_table(f, columns=columns) for f in files)

    def iter_batches(self, batch_size: int = 10_000) -> Iterator[list[dict]]:
        """Records as lists of dicts, ``batch_size`` at a time, in stored order."""
        for path in self.data_files():
            for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
                yield batch.to_pylist()

    def split_rows(
        self,
        split: str,
        clusters: set[int] | None = None,
        limit: int = 0,
        columns: list[str] | None = None,
    ) -> dict[int, list[dict]]:
        """Per cluster, its records of one ``split`` (``train``/``eval``) in stored order: only
        ``clusters`` when given, at most ``limit`` each when set. Read a batch at a time and
        filtered in Arrow, so only the rows kept become Python objects."""
        import pyarrow.compute as pc

        out: dict[int, list[dict]] = {}
        wanted = None if clusters is None else pa.array(sorted(clusters), pa.int32())
        for path in self.data_files():
            shard = pq.ParquetFile(path)
            present = set(shard.schema_arrow.names)  # a schema-1 shard lacks has_media
            read = None if columns is None else [c for c in columns if c in present]
            for batch in shard.iter_batches(batch_size=20_000, columns=read):
                mask = pc.and_(pc.equal(batch["split"], split), pc.is_valid(batch["cluster_id"]))
                if wanted is not None:
                    mask = pc.and_(mask, pc.is_in(batch["cluster_id"], value_set=wanted))
                for row in batch.filter(mask).to_pylist():
                    rows = out.setdefault(row["cluster_id"], [])
                    if not limit or len(rows) < limit:
                        rows.append(row)
        return out

    def as_input_entry(self) -> dict:
        return {"path": str(self.path), "stage": self.stage, "manifest_hash": self.manifest_hash}

    def read_json(self, name: str, hint: str) -> dict:
        """The JSON object in file ``name`` of this directory; a one-line InputError otherwise."""
        return read_json_object(self.path / name, hint)


def read_json_object(path: Path, hint: str | None = None) -> dict:
    """The JSON object in file ``path``; a one-line InputError naming the file otherwise."""
    if not path.is_file():
        raise InputError(f"{path}: missing", hint)
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        raise InputError(f"{path}: not valid JSON", hint) from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a JSON object", hint)
    return doc


def open_input(
    path: str | Path,
    *,
    expect: tuple[str, ...] | None = None,
    require_pii: bool = False,
    allow_unscrubbed: bool = False,
) -> StageInput:
    """Open a finished stage directory, checking it is of a usable kind.

    ``expect`` lists the stages whose output this one can read. With ``require_pii``, a
    lineage without the pii stage is refused unless ``allow_unscrubbed``.
    """
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: no such stage directory")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise InputError(
            f"{path}: not a stage directory (no {MANIFEST})",
            "pass the output directory of an earlier slmconvert stage",
        )
    raw = manifest_path.read_bytes()
    try:
        manifest = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InputError(
            f"{manifest_path}: not valid JSON", "rerun the stage that made it"
        ) from None
    if not isinstance(manifest, dict) or "stage" not in manifest:
        raise InputError(f"{manifest_path}: field 'stage' missing", "rerun the stage that made it")
    found = StageInput(path, manifest, hashlib.sha256(raw).hexdigest())
    if expect and found.stage not in expect:
        raise InputError(
            f"{path}: is the output of '{found.stage}'; expected the output of {' or '.join(expect)}"
        )
    if require_pii and not allow_unscrubbed and not found.has_stage("pii"):
        raise InputError(
            f"{path}: records have not been through `slmconvert pii`",
            "run `slmconvert pii` first, or pass --allow-unscrubbed (recorded in the manifest)",
        )
    return found


class RecordWriter:
    """Writes record batches into ``data/part-NNNNN.parquet`` shards of at most ``shard_rows``,
    in row groups of about ``row_group_rows`` however small the batches it is given."""

    def __init__(
        self,
        data_dir: Path,
        schema: pa.Schema = SCHEMA,
        shard_rows: int = 50_000,
        row_group_rows: int = ROW_GROUP_ROWS,
    ):
        self.data_dir = data_dir
        self.schema = schema
        self.shard_rows = shard_rows
        self.row_group_rows = row_group_rows
        self.rows = 0
        self._shard = 0
        self._in_shard = 0
        self._writer: pq.ParquetWriter | None = None
        self._buffer: list[pa.Table] = []
        self._buffered = 0

    def write(self, records: list[dict]) -> None:
        """Append records (dicts in the canonical schema)."""
        if records:
            self.write_table(pa.Table.from_pylist(records, schema=self.schema))

    def write_table(self, table: pa.Table) -> None:
        """Append a pyarrow Table in the canonical schema (a table of an earlier schema
        version is brought up to it)."""
        table = conform(table, self.schema)
        # each ParquetWriter.write_table call makes its own row group, and small groups cost
        # time and bytes; buffered rows cost memory (bench/results/tuning.md)
        self._buffer.append(table)
        self._buffered += table.num_rows
        if self._buffered >= self.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = pa.concat_tables(self._buffer)
        self._buffer, self._buffered = [], 0
        start = 0
        while start < table.num_rows:
            if self._writer is None:
                path = self.data_dir / f"part-{self._shard:05d}.parquet"
                self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
            chunk = table.slice(start, self.shard_rows - self._in_shard)
            self._writer.write_table(chunk)
            self._in_shard += chunk.num_rows
            self.rows += chunk.num_rows
            start += chunk.num_rows
            if self._in_shard >= self.shard_rows:
                self._close_shard()

    def _close_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._shard += 1
            self._in_shard = 0

    def close(self) -> None:
        """Write what is buffered and close the last shard."""
        self._flush()
        self._close_shard()


@dataclass
class StageOutput:
    """An output directory being written; use as a context manager (see module docstring)."""

    out: Path
    stage: str
    config: dict
    inputs: list[dict] = field(default_factory=list)
    lineage: list[dict] = field(default_factory=list)
    force: bool = False
    seed: int | None = None
    packages: tuple[str, ...] = ()
    algorithm: int = 1  # bumped when a stage's results change for the same settings
    counts: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path = field(init=False)
    manifest: dict = field(init=False, default_factory=dict)
    _writer: RecordWriter | None = field(init=False, default=None)
    _started: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        self.path = (
            self.out.parent / f".{self.out.name}{TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )

    @property
    def data_dir(self) -> Path:
        return self.path / DATA

    @property
    def config_hash(self) -> str:
        return hash_json(self.config)

    def copy_forward(
        self, source: StageInput, names: tuple[str, ...] = (), records: bool = True
    ) -> None:
        """Copy ``source``'s Parquet shards unchanged, and the files or folders of ``names``."""
        for shard in source.data_files() if records else ():
            shutil.copyfile(shard, self.data_dir / shard.name)
        for name in names:
            if (source.path / name).is_dir():
                shutil.copytree(source.path / name, self.path / name)
            elif (source.path / name).exists():
                shutil.copyfile(source.path / name, self.path / name)

    def records(self, shard_rows: int = 50_000) -> RecordWriter:
        """The record writer for this output (created on first use)."""
        if self._writer is None:
            self._writer = RecordWriter(self.data_dir, shard_rows=shard_rows)
        return self._writer

    def __enter__(self) -> StageOutput:
        if self.out.exists() and not self.force:
            raise OutputExistsError(f"{self.out}: already exists", "pass --force to replace it")
        if self.out.exists() and not self.out.is_dir():
            raise OutputExistsError(f"{self.out}: exists and is not a directory")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(self.out)
        self.data_dir.mkdir(parents=True)
        self._started = _now()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        try:
            if self._writer is not None:
                self._writer.close()
            self._write_manifest()
            self._publish()
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def _write_manifest(self) -> None:
        lineage = [*self.lineage, {"stage": self.stage, "config_hash": self.config_hash}]
        self.manifest = {
            "stage": self.stage,
            "slmconvert_version": __version__,
            "config": self.config,
            "config_hash": self.config_hash,
            "algorithm": self.algorithm,
            "schema_version": SCHEMA_VERSION,
            "inputs": self.inputs,
            "lineage": lineage,
            "counts": self.counts,
            "metrics": self.metrics,
            "warnings": self.warnings,
            "versions": {
                "python": platform.python_version(),
                "slmconvert": __version__,
                **package_versions((*BASE_PACKAGES, *self.packages)),
            },
            "seed": self.seed,
            "started_at": self._started,
            "finished_at": _now(),
            **self.extra,
        }
        tmp = self.path / (MANIFEST + ".tmp")
        tmp.write_bytes(orjson.dumps(self.manifest, option=orjson.OPT_INDENT_2))
        os.replace(tmp, self.path / MANIFEST)

    def _publish(self) -> None:
        if self.out.exists():
            trash = self.out.parent / f".{self.out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(self.out, trash)
            os.replace(self.path, self.out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(self.path, self.out)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(out: Path) -> list[Path]:
    """Remove temporary siblings of ``out`` left by processes that are no longer running."""
    removed = []
    for candidate in out.parent.glob(f".{out.name}{TMP_MARK}*"):
        pid_text = candidate.name[len(f".{out.name}{TMP_MARK}") :].split("-", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _pid_alive(int(pid_text)):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


@dataclass
class StageResult:
    """What a stage function returns: where it wrote, and its manifest."""

    output: Path
    manifest: dict

    @property
    def counts(self) -> dict:
        return self.manifest.get("counts", {})

    @property
    def metrics(self) -> dict:
        return self.manifest.get("metrics", {})

    @property
    def warnings(self) -> list[str]:
        return self.manifest.get("warnings", [])
