"""What the gateway serves: a `deploy` directory (a rollout), or a `cluster` one (observe mode).

A deploy directory gives the router, the promoted clusters with their schedules, the gate and
the models that serve them; a cluster directory gives the router alone, and every call goes to
the LLM, tagged with its cluster and logged: a team can put the gateway in front of its LLM
before any SLM exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from slmconvert.clustering.router import TaskRouter
from slmconvert.core.errors import InputError
from slmconvert.core.stagedir import read_json_object
from slmconvert.gateway.gates import Gate, Step
from slmconvert.training.templates import PROFILES

RERUN = "re-run from `slmconvert cluster` (and the stages after it)"


@dataclass(frozen=True)
class Served:
    """A promoted cluster as the gateway serves it."""

    cluster: int
    lora_name: str  # the name the SLM upstream serves it under (serve/vllm.sh)
    model: str
    base: str
    adapter: str
    kind: str
    tool_format: str
    native_tools: bool
    template: str | None  # the chat-template profile it was trained with (training.templates)
    tools: frozenset[str]  # every tool the cluster was offered in the logs
    gate: Gate
    metric: str = "tool_call_match"  # the offline gate's metric, which the live gate measures

    @property
    def parser(self) -> str | None:
        """The format its output is read in, from its template profile (None before profiles:
        such an adapter's server answers in OpenAI tool_calls only)."""
        profile = PROFILES.get(self.template or "")
        return profile.parser if profile else None


@dataclass
class Deployment:
    """The router and, in a rollout, the served clusters."""

    path: Path
    router: TaskRouter
    served: dict[int, Served] = field(default_factory=dict)
    llm_model: str | None = None

    @property
    def observe(self) -> bool:
        return not self.served


def _read(path: Path) -> dict:
    return read_json_object(path, RERUN)


def _served(path: Path, entry: dict, gate_doc: dict, tools: dict[int, list[str]]) -> Served:
    cid = entry["id"]
    adapter = path / entry["adapter"]
    training = _read(adapter / "training.json") if (adapter / "training.json").is_file() else {}
    steps = tuple(
        Step(s["name"], int(s["percent"]), int(s["min_samples"]), float(s["max_invalid_rate"]))
        for s in entry["schedule"]
    )
    return Served(
        cluster=cid,
        lora_name=entry.get("lora_name") or f"cluster-{cid}",
        model=entry.get("model") or "",
        base=entry["base"],
        adapter=entry["adapter"],
        kind=entry.get("kind") or "adapter",
        tool_format=training.get("tool_format") or "hermes <tool_call> JSON",
        native_tools=bool(training.get("native_tools", True)),
        template=training.get("template"),
        tools=frozenset(tools.get(cid, [])),
        gate=Gate(steps, float(entry["gate"]["threshold"])),
        metric=entry["gate"].get("metric") or "tool_call_match",
    )


def load(
    path: str | Path, *, min_samples: int | None = None, threshold: float | None = None
) -> Deployment:
    """The deploy (or cluster) directory at ``path``.

    ``min_samples`` overrides every step's, ``threshold`` the live agreement gate (default: the
    rollout's offline gate threshold).
    """
    path = Path(path)
    manifest = _read(path / "manifest.json")
    stage = manifest.get("stage")
    if stage not in ("deploy", "cluster"):
        raise InputError(f"{path}: expected a deploy or cluster directory, found {stage!r}")
    if not (path / "router" / "router.json").is_file():
        raise InputError(f"{path}: made by an older slmconvert (no router/)", RERUN)
    router = TaskRouter.load(path / "router")
    if stage == "cluster":
        return Deployment(path, router)
    rollout = _read(path / "rollout.json")
    tools = {c["id"]: c.get("tools", []) for c in router.model.clusters}
    served = {}
    for entry in rollout.get("clusters", []):
        if entry.get("decision") == "promote":
            if min_samples:
                entry["schedule"] = [s | {"min_samples": min_samples} for s in entry["schedule"]]
            if threshold is not None:
                entry["gate"] = entry["gate"] | {"threshold": threshold}
            served[entry["id"]] = _served(path, entry, rollout.get("gate", {}), tools)
    llm = (rollout.get("llm") or {}).get("model")
    return Deployment(path, router, served, llm)
