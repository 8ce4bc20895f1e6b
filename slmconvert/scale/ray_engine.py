"""Ray Data as the engine of the data stages (``--engine ray``; ``pip install slmconvert[ray]``).

``connect(address)`` joins a Ray cluster: the address given (``--ray-address``), else
``RAY_ADDRESS`` from the environment, else a local Ray bound to 127.0.0.1 with no dashboard and
a small object store. It is only called when ``--engine ray`` is asked for, so an inherited
``RAY_ADDRESS`` never sends unscrubbed logs anywhere by itself; the address in use is returned
for the stage to print.

``RayChunkParser`` parses collect's chunks of log lines as Ray tasks (stdin's: the workers read
files themselves, ``slmconvert.scale.ray_collect``). ``run_tasks`` runs one
function per item as Ray tasks (finetune: one cluster each, with a GPU
share). ``scrub_batches`` runs the pii stage's scrubbing as ``map_batches`` over the input's Parquet
files on a pool of actors, each holding one ``Scrubber`` (Presidio and the word lists are built
once per actor), and yields ``(records, report)`` per batch in input order (order preserved), so
the stage's own de-duplication and writer see what the local engine gives them.
``RayEmbedder`` runs cluster's large embedding batches (the user turns of nodes that split into
sub-tasks) on a pool of actors, each loading the embedder once.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import orjson

from slmconvert.core.errors import MissingDependencyError

READ_CPUS, ACTOR_CPUS = 0.25, 0.5
LOCAL_OBJECT_STORE = 96 << 20
"""Local Ray's object store: small, since a container's /dev/shm may be 64 MB."""


def connect(address: str | None = None, num_cpus: int | None = None) -> str:
    """Join (or start) Ray; returns the address in use (``local`` for a private local Ray)."""
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("ray[data]", "--engine ray") from None
    target = address or os.environ.get("RAY_ADDRESS")
    if ray.is_initialized():
        return target or "local"
    quiet = {"log_to_driver": False, "configure_logging": False}
    if target:
        ray.init(address=target, **quiet)
        return target
    ray.init(
        num_cpus=num_cpus or os.cpu_count() or 1,
        include_dashboard=False,
        object_store_memory=LOCAL_OBJECT_STORE,
        _node_ip_address="127.0.0.1",
        **quiet,
    )
    return "local"


def _ordered_quiet_data() -> None:
    """Ray Data in input order (the stage writes what the local engine writes), no bars."""
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.execution_options.preserve_order = True


class _ScrubActor:
    """One Scrubber per actor. Each batch comes back as one row: the kept records (JSON) and
    the batch's report, so counts travel with the records whatever the mode dropped."""

    def __init__(self, settings: dict):
        from slmconvert.pii import PiiSettings, Scrubber

        self.scrubber = Scrubber(PiiSettings(**settings))

    def __call__(self, table):
        import pyarrow as pa

        kept, report = self.scrubber.scrub_batch(table.to_pylist())
        return pa.table(
            {
                "records": pa.array([orjson.dumps(kept)], pa.binary()),
                "report": pa.array([orjson.dumps(report.to_dict())], pa.binary()),
            }
        )


def _read_files(table):
    """The records of the Parquet files named in ``table``'s ``path`` column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pa.concat_tables([pq.read_table(path) for path in table.column("path").to_pylist()])


def scrub_batches(
    data_files: list[Path], settings: dict, batch_size: int, actors: int
) -> Iterator[tuple[list[dict], dict]]:
    """``(kept records, report dict)`` per batch of ``data_files``, in input order."""
    import ray.data

    _ordered_quiet_data()
    # Actors and reads share the CPUs: a scrubber actor asks for half a CPU, so that the file
    # reads (a quarter each) and Ray's own bookkeeping tasks can still be scheduled when every
    # CPU has an actor; otherwise the pipeline waits forever.
    # The files are read by tasks of our own rather than read_parquet, whose file listing
    # needs fsspec's HTTP support (aiohttp) as soon as there is more than one file.
    files = ray.data.from_items([{"path": str(p)} for p in data_files])
    tables = files.map_batches(
        _read_files, batch_size=1, batch_format="pyarrow", num_cpus=READ_CPUS
    )
    dataset = tables.map_batches(
        _ScrubActor,
        fn_constructor_kwargs={"settings": settings},
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=max(actors, 1)),
        num_cpus=ACTOR_CPUS,
    )
    for table in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
        for records, report in zip(
            table.column("records").to_pylist(), table.column("report").to_pylist(), strict=True
        ):
            yield orjson.loads(records), orjson.loads(report)


def run_tasks(fn, args: list[tuple], gpus: float = 0, cpus: float = 1) -> Iterator:
    """``fn(*a)`` for each ``a`` in ``args`` as Ray tasks (``gpus`` and ``cpus`` each), results
    in ``args`` order."""
    import ray

    remote = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=0)(fn)
    refs = [remote.remote(*a) for a in args]
    for ref in refs:
        yield ray.get(ref)


class RayChunkParser:
    """collect's ``ChunkParser`` on Ray tasks: each chunk of log lines parsed by a task, the
    results in job order, at most ``window`` chunks in flight (this process reads the files)."""

    def __init__(self, side: dict, window: int = 0):
        self.side = side
        self.window = window or 2 * (os.cpu_count() or 1)

    def __enter__(self) -> RayChunkParser:
        import ray

        self._side = ray.put(self.side)
        self._task = ray.remote(num_cpus=1, max_retries=0)(_parse_chunk)
        return self

    def __exit__(self, *exc) -> None:
        self._side = None

    def map(self, jobs) -> Iterator:
        """``ChunkResult``s for ``(format, file, items)`` jobs, in job order."""
        import ray

        pending: deque = deque()
        for job in jobs:
            if len(pending) >= self.window:
                yield ray.get(pending.popleft())
            pending.append(self._task.remote(self._side, *job))
        while pending:
            yield ray.get(pending.popleft())


def _parse_chunk(side: dict, name: str, file: str, items):
    from slmconvert.formats import parsing

    parsing._init(side)
    return parsing.parse_chunk(name, file, items)


class _EmbedActor:
    """One embedder per actor, loaded once (on a GPU when the actor has one)."""

    def __init__(self, model: str, cache_dir: str | None, batch_size: int):
        from slmconvert.clustering.embed import load_embedder

        cache = Path(cache_dir) if cache_dir else None
        self.embedder = load_embedder(model, cache_dir=cache, batch_size=batch_size)

    def embed(self, texts: list[str]):
        return self.embedder.embed(texts), self.embedder.computed


class RayEmbedder:
    """An embedder whose large batches run on a pool of Ray actors, in order; small ones (the
    router's structure texts, a sample) stay on the local embedder it wraps. Same vectors as
    the local embedder: the actors load the same model."""

    def __init__(self, local, cache_dir: Path | None, actors: int, chunk: int = 4096):
        import ray

        self.local, self.chunk, self.computed, self.on_actors = local, chunk, 0, 0
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= actors else 0
        remote = ray.remote(num_cpus=ACTOR_CPUS, num_gpus=gpus, max_restarts=0)(_EmbedActor)
        batch = getattr(local, "batch_size", 64)
        where = str(cache_dir) if cache_dir else None
        self.actors = [remote.remote(local.model_name, where, batch) for _ in range(actors)]

    def __getattr__(self, name: str):
        # everything else (dimension, model_name, save for a static embedder) is the local one's
        if name == "local":
            raise AttributeError(name)
        return getattr(self.local, name)

    def embed(self, texts: list[str]):
        """L2-normalised embeddings of ``texts``, one row per text, in order."""
        import numpy as np
        import ray

        if len(texts) <= self.chunk:
            vectors = self.local.embed(texts)
            self.computed = self.local.computed
            return vectors
        refs = [
            self.actors[k % len(self.actors)].embed.remote(texts[start : start + self.chunk])
            for k, start in enumerate(range(0, len(texts), self.chunk))
        ]
        parts = ray.get(refs)
        self.computed = sum(n for _, n in parts)
        self.on_actors += len(texts)
        return np.vstack([v for v, _ in parts])
