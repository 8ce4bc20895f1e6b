"""`TaskRouter`: assigns a call to its task cluster from the request alone, offline or live.

A router is a directory (``OUT/router/`` of `cluster`) that holds everything assignment needs on
a machine with nothing cached: ``router.json`` (settings, nodes, clusters, bounds), the arrays in
``router.safetensors`` and, for the static embedder, the embedder itself under ``embedder/``.

Assignment has two levels. A call's **node** is the nearest node by structure (the tools
offered, the system prompt and, when known, the workload; each part a cosine distance, weighted)
and must lie within that node's calibrated distance bound, else the call is noise (-1). A node
with sub-tasks then picks the nearest sub-task centroid of the user turn, projected as at fit
time. Nodes too small to train on map to -1 as well, so calls like theirs stay on the LLM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from slmconvert.clustering.request import RequestView, of_request
from slmconvert.clustering.spill import take
from slmconvert.core.errors import InputError
from slmconvert.core.records import NOISE

FORMAT = "slmconvert-router"
VERSION = 1
EMBEDDER_DIR = "embedder"
HINT = "rerun `slmconvert cluster` to write a router"


def tool_text(name: str, description: str) -> str:
    """The text a tool is embedded by."""
    return f"{name}: {description}" if description else name


def vector_part(weight: float, a: np.ndarray, b: np.ndarray) -> tuple:
    """One part of the node distance between rows of ``a`` and of ``b`` (unit or zero vectors):
    its weight, the cosine similarities, and where either side has the part."""
    present = (np.abs(a).sum(1) > 0)[:, None] | (np.abs(b).sum(1) > 0)[None, :]
    return weight, a @ b.T, present


def weighted_distance(parts: list[tuple], shape: tuple[int, int], dtype) -> np.ndarray:
    """The weighted mean of ``(weight, similarity, present)`` parts' cosine distances, over the
    parts present for each pair (0 where none is)."""
    total = np.zeros(shape, dtype)
    weight = np.zeros_like(total)
    for w, similarity, present in parts:
        total += w * (1 - similarity) * present
        weight += w * present
    return np.where(weight > 0, total / np.maximum(weight, 1e-12), 0.0)


@dataclass
class Subtasks:
    """A node's sub-task split: the user-turn projection and one centroid per sub-task."""

    mean: np.ndarray  # (dim,)
    components: np.ndarray  # (k, dim)
    centroids: np.ndarray  # (m, k)
    clusters: list[int]  # cluster id per centroid (-1 for a sub-task too small to keep)


@dataclass
class RouterModel:
    """The arrays and settings a router assigns with."""

    settings: dict
    tools: np.ndarray  # (nodes, dim) unit centroid of each node's tool vectors
    system: np.ndarray  # (nodes, dim)
    workloads: list[str]
    workload_shares: np.ndarray  # (nodes, len(workloads)) unit rows (zero when none known)
    bounds: np.ndarray  # (nodes,)
    node_cluster: list[int]  # cluster id of a node without sub-tasks (-1 for a small node)
    subtasks: dict[int, Subtasks] = field(default_factory=dict)
    nodes: list[dict] = field(default_factory=list)  # people-facing description per node
    clusters: list[dict] = field(default_factory=list)


def member_chunks(nodes: np.ndarray, node: int, size: int = 50_000, window: int = 1 << 22):
    """Positions where ``nodes`` is ``node``, ascending, ``size`` at a time (found a window of
    positions at a time, so a node holding most calls never needs all its positions at once)."""
    pending: list[np.ndarray] = []
    count = 0
    for start in range(0, len(nodes), window):
        found = np.flatnonzero(np.asarray(nodes[start : start + window]) == node) + start
        pending.append(found)
        count += len(found)
        while count >= size:
            joined = np.concatenate(pending)
            yield joined[:size]
            pending, count = [joined[size:]], count - size
    if count:
        yield np.concatenate(pending)


class TaskRouter:
    """Assigns requests (OpenAI-style dicts) or request views to cluster ids, -1 for noise."""

    def __init__(self, model: RouterModel, embedder):
        self.model = model
        self.embedder = embedder
        self._cache: dict[str, np.ndarray] = {}
        weights = model.settings["weights"]
        self.w_tools, self.w_system = weights["tools"], weights["system"]
        self.w_workload = weights.get("workload", 0.0)
        self._workload_index = {w: i for i, w in enumerate(model.workloads)}

    # ---- vectors -------------------------------------------------------------------------
    def _embed_cached(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(texts))
        missing = [t for t in wanted if t not in self._cache]
        if missing:
            if len(self._cache) > 200_000:  # system prompts and tools repeat; user turns don't
                self._cache.clear()
            for text, vec in zip(missing, self.embedder.embed(missing), strict=True):
                self._cache[text] = vec
        return {t: self._cache[t] for t in wanted}

    def structure_vectors(self, views: list[RequestView]) -> tuple[np.ndarray, np.ndarray]:
        """Unit tool-set and system-prompt vectors of each view (zero where it has none)."""
        tool_texts = [[tool_text(n, d) for n, d in v.tools] for v in views]
        systems = [v.system for v in views]
        found = self._embed_cached([t for ts in tool_texts for t in ts] + [s for s in systems if s])
        dim = self.embedder.dimension
        tools = np.zeros((len(views), dim), np.float32)
        system = np.zeros((len(views), dim), np.float32)
        for i, (ts, text) in enumerate(zip(tool_texts, systems, strict=True)):
            if ts:
                tools[i] = np.mean([found[t] for t in ts], axis=0)
            if text:
                system[i] = found[text]
        tools /= np.maximum(np.linalg.norm(tools, axis=1, keepdims=True), 1e-12)
        return tools, system

    def _workload_rows(self, views: list[RequestView]) -> tuple[np.ndarray, np.ndarray]:
        """Per view: similarity of its workload to each node's workloads, and whether known."""
        index = [self._workload_index.get(v.workload, -1) if v.workload else -1 for v in views]
        known = np.array([i >= 0 for i in index])
        rows = np.zeros((len(views), len(self.model.node_cluster)), np.float32)
        if known.any():
            rows[known] = self.model.workload_shares[:, [i for i in index if i >= 0]].T
        return rows, known

    # ---- assignment ----------------------------------------------------------------------
    def node_distances(self, views: list[RequestView]) -> np.ndarray:
        """(views, nodes) weighted structural distance of each view to each node.

        Each part is a cosine distance; a part neither side has (no tools, no system prompt, no
        known workload) is left out of the weighted mean, one side lacking it counts as 1.
        """
        tools, system = self.structure_vectors(views)
        wl, known = self._workload_rows(views)
        m = self.model
        parts = [vector_part(self.w_tools, tools, m.tools),
                 vector_part(self.w_system, system, m.system)]  # fmt: skip
        if self.w_workload:
            parts.append((self.w_workload, wl, known[:, None]))
        return weighted_distance(parts, (len(views), len(m.node_cluster)), np.float32)

    def nodes_of(self, views: list[RequestView]) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each view and its distance (node -1 when beyond that node's bound)."""
        if not len(self.model.node_cluster):
            return np.full(len(views), NOISE), np.full(len(views), np.inf)
        dist = self.node_distances(views)
        nearest = dist.argmin(axis=1)
        best = dist[np.arange(len(views)), nearest]
        nearest = np.where(best <= self.model.bounds[nearest], nearest, NOISE)
        return nearest, best

    def subtask_of(self, split: Subtasks, users: list[str]) -> np.ndarray:
        """The cluster of each user turn among one node's sub-tasks."""
        points = (self.embedder.embed(users) - split.mean) @ split.components.T
        d = ((points[:, None, :] - split.centroids[None]) ** 2).sum(-1)
        return np.array(split.clusters)[d.argmin(axis=1)]

    def label_nodes(self, nodes: np.ndarray, users: list[str]) -> np.ndarray:
        """Cluster ids of calls given their node (-1: none) and their user turns."""
        table = np.array([*self.model.node_cluster, NOISE], np.int32)  # node -1 -> the last
        out = table[np.asarray(nodes)] if len(nodes) else np.zeros(0, np.int32)
        for node, split in self.model.subtasks.items():
            for chunk in member_chunks(nodes, node):
                out[chunk] = self.subtask_of(split, take(users, chunk))
        return out

    def assign_views(self, views: list[RequestView]) -> np.ndarray:
        """Cluster id of each view (-1 for noise)."""
        if not views:
            return np.zeros(0, np.int32)
        nodes, _ = self.nodes_of(views)
        return self.label_nodes(nodes, [v.user for v in views])

    def relabel(self, mapping: dict[int, int]) -> None:
        """Rename cluster ids (ids missing from ``mapping`` become noise)."""
        m = self.model
        m.node_cluster = [mapping.get(c, NOISE) if c != NOISE else NOISE for c in m.node_cluster]
        for split in m.subtasks.values():
            split.clusters = [
                mapping.get(c, NOISE) if c != NOISE else NOISE for c in split.clusters
            ]

    def cluster_ids(self) -> list[int]:
        """Every cluster id this router can answer (noise left out)."""
        found = set(self.model.node_cluster)
        for split in self.model.subtasks.values():
            found |= set(split.clusters)
        return sorted(found - {NOISE})

    def assign(
        self, requests: list[Mapping], headers: list[Mapping] | Mapping | None = None
    ) -> np.ndarray:
        """Cluster id of each OpenAI-style request dict (-1: noise, stays on the LLM)."""
        chars = self.model.settings["signature_chars"]
        many = headers if isinstance(headers, list) else [headers] * len(requests)
        return self.assign_views(
            [of_request(r, h, chars) for r, h in zip(requests, many, strict=True)]
        )

    # ---- storage -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """Write the router into ``directory`` (JSON + safetensors, never pickle)."""
        from safetensors.numpy import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        m = self.model
        arrays = {
            "tools": m.tools,
            "system": m.system,
            "workload_shares": m.workload_shares,
            "bounds": m.bounds.astype(np.float32),
        }
        subtasks = {}
        for node, s in m.subtasks.items():
            for name in ("mean", "components", "centroids"):
                arrays[f"subtasks.{node}.{name}"] = getattr(s, name).astype(np.float32)
            subtasks[str(node)] = s.clusters
        save_file({k: np.ascontiguousarray(v, np.float32) for k, v in arrays.items()},
                  str(directory / "router.safetensors"))  # fmt: skip
        embedder = dict(m.settings["embedder"])
        if hasattr(self.embedder, "save"):
            self.embedder.save(directory / EMBEDDER_DIR)
            embedder["path"] = EMBEDDER_DIR
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "settings": m.settings | {"embedder": embedder},
            "workloads": m.workloads,
            "node_cluster": m.node_cluster,
            "subtasks": subtasks,
            "nodes": m.nodes,
            "clusters": m.clusters,
        }
        (directory / "router.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, directory: str | Path) -> TaskRouter:
        """The router saved in ``directory``; a missing, corrupt or foreign one is an InputError."""
        directory = Path(directory)
        doc = _read_doc(directory / "router.json")
        arrays = _read_arrays(directory / "router.safetensors")
        try:
            subtasks = {
                int(node): Subtasks(
                    *(arrays[f"subtasks.{node}.{k}"] for k in ("mean", "components", "centroids")),
                    clusters=[int(c) for c in clusters],
                )
                for node, clusters in doc["subtasks"].items()
            }
            model = RouterModel(
                settings=doc["settings"],
                tools=arrays["tools"],
                system=arrays["system"],
                workloads=list(doc["workloads"]),
                workload_shares=arrays["workload_shares"],
                bounds=arrays["bounds"],
                node_cluster=[int(c) for c in doc["node_cluster"]],
                subtasks=subtasks,
                nodes=doc.get("nodes", []),
                clusters=doc.get("clusters", []),
            )
            if len(model.bounds) != len(model.node_cluster) or model.tools.shape[0] != len(
                model.node_cluster
            ):
                raise ValueError
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InputError(f"{directory / 'router.json'}: router data incomplete", HINT) from None
        return cls(model, _embedder(directory, doc["settings"].get("embedder") or {}))


def _read_doc(path: Path) -> dict:
    try:
        doc = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: no router here", HINT) from None
    except (OSError, orjson.JSONDecodeError):
        raise InputError(f"{path}: not valid JSON", HINT) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{path}: not an slmconvert router", HINT)
    if doc.get("version") != VERSION:
        raise InputError(f"{path}: router version {doc.get('version')!r} unsupported", HINT)
    return doc


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise InputError(f"{path}: missing", HINT) from None
    except (OSError, SafetensorError, ValueError):
        raise InputError(f"{path}: not a readable safetensors file", HINT) from None


def _embedder(directory: Path, spec: dict):
    from slmconvert.clustering.embed import Embedder, StaticEmbedder

    if spec.get("path"):
        return StaticEmbedder(directory / spec["path"])
    if spec.get("kind") == "static":
        return StaticEmbedder()
    return Embedder(spec.get("model") or "all-MiniLM-L6-v2", cache_dir=None)
