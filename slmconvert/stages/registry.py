"""The stage registry: each pipeline stage declared once, and the commands that are not stages.

A stage is its name, its settings model, the function that runs it, what it reports while it
runs, the terminal summary of its result, its section of the HTML report, and the files it
writes beside ``data/``. Recipes, `slmconvert run`, `slmconvert report` and the CLI's parity
test read this table, so a new stage is one `register` call: its position in the pipeline
gives its directory name (``NN_<name>``) in a recipe's work directory.

Functions are named as ``"module:function"`` strings (imported when first used, so
``slmconvert --help`` stays fast) or given as callables.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from slmconvert.core.config import (
    ClusterConfig,
    CollectConfig,
    DeployConfig,
    EvalConfig,
    FinetuneConfig,
    PiiConfig,
    SelectConfig,
    StageConfig,
)
from slmconvert.core.errors import ConfigError

Reports = Literal["none", "progress", "log", "both"]


def resolve(target: str | Callable | None) -> Callable | None:
    """The callable a ``"module:function"`` string names (or the callable itself)."""
    if target is None or callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Stage:
    """One pipeline stage, as recipes, `run`, `report` and the CLI see it."""

    name: str
    config: type[StageConfig]
    run: str | Callable  # run(input, output, config, *, force, [progress], [log]) -> StageResult
    reports: Reports = "progress"  # which of progress= and log= its run accepts
    summary: str | Callable | None = None  # the terminal summary of a StageResult
    section: str | Callable | None = None  # the HTML report's section, from a report Run
    outputs: tuple[str, ...] = ()  # files and folders it writes beside data/ and manifest.json

    @property
    def module(self) -> str:
        """The module that holds the stage's run function."""
        return self.run.partition(":")[0] if isinstance(self.run, str) else self.run.__module__

    def runner(self) -> Callable:
        """The function that runs the stage."""
        return resolve(self.run)

    def summarise(self, result) -> list:
        """The terminal summary of a finished run of this stage (renderables)."""
        render = resolve(self.summary)
        return render(result) if render else []


@dataclass(frozen=True)
class Command:
    """A command that is not a pipeline stage (it reads stage directories, or serves)."""

    name: str
    module: str  # where its typer command lives
    about: str


_STAGES: list[Stage] = []

COMMANDS: tuple[Command, ...] = (
    Command("run", "slmconvert.cli.pipeline", "run a recipe's stages in order, cached"),
    Command("report", "slmconvert.cli.pipeline", "one HTML page over a run's stages"),
    Command("inspect", "slmconvert.cli.pipeline", "what a stage directory holds"),
    Command("serve", "slmconvert.cli.gateway", "the gateway that executes a rollout"),
    Command("rollout", "slmconvert.cli.gateway", "a rollout's state; advance, hold, roll back"),
    Command("replay-llm", "slmconvert.cli.gateway", "an OpenAI-compatible LLM answering from logs"),
    Command("replay", "slmconvert.cli.gateway", "send logged requests to a gateway"),
    Command("make-tiny-model", "slmconvert.cli.models", "build the tiny test model"),
)
"""The commands beside the stages, and where each lives."""


def register(stage: Stage, *, after: str | None = None) -> Stage:
    """Add ``stage`` to the pipeline, last or right after the stage ``after``."""
    if any(s.name == stage.name for s in _STAGES):
        raise ConfigError(f"stage `{stage.name}` is already registered")
    at = len(_STAGES) if after is None else position(after) + 1
    _STAGES.insert(at, stage)
    return stage


def unregister(name: str) -> None:
    """Remove the stage called ``name`` (for plugins' tests)."""
    _STAGES.remove(get(name))


def stages() -> tuple[Stage, ...]:
    """Every stage, in pipeline order."""
    return tuple(_STAGES)


def names() -> tuple[str, ...]:
    """Every stage's name, in pipeline order."""
    return tuple(s.name for s in _STAGES)


def get(name: str) -> Stage:
    """The stage called ``name``; an unknown name raises ConfigError listing the known ones."""
    for stage in _STAGES:
        if stage.name == name:
            return stage
    raise ConfigError(f"unknown stage `{name}`; stages: {', '.join(names())}")


def position(name: str) -> int:
    """The stage's 0-based place in the pipeline."""
    return names().index(get(name).name)


def dirname(name: str) -> str:
    """The stage's directory under a recipe's work directory, e.g. ``03_cluster``."""
    return f"{position(name) + 1:02d}_{name}"


def producers() -> dict[str, str]:
    """Which stage writes each report file (``clusters.json`` → ``cluster``)."""
    return {out: s.name for s in _STAGES for out in s.outputs if out.endswith(".json")}


def _builtin(name: str, config: type[StageConfig], reports: Reports, **extra: Any) -> None:
    register(Stage(name, config, f"slmconvert.stages.{name}:run", reports, **extra))


SUMMARIES = "slmconvert.cli.summaries"
SECTIONS = "slmconvert.report.sections"
_builtin("collect", CollectConfig, "both", summary=f"{SUMMARIES}:collect")
_builtin("pii", PiiConfig, "both", summary=f"{SUMMARIES}:pii")
_builtin(
    "cluster", ClusterConfig, "both", summary=f"{SUMMARIES}:cluster",
    section=f"{SECTIONS}:clusters",
    outputs=("clusters.json", "centroids.npy", "clusters.png", "router"),
)  # fmt: skip
_builtin(
    "select", SelectConfig, "none", summary="slmconvert.catalog.render:select",
    section=f"{SECTIONS}:selection", outputs=("selection.json",),
)  # fmt: skip
_builtin(
    "finetune", FinetuneConfig, "both", summary=f"{SUMMARIES}:finetune",
    section=f"{SECTIONS}:finetune", outputs=("finetune.json", "adapters"),
)  # fmt: skip
_builtin(
    "eval", EvalConfig, "both", summary=f"{SUMMARIES}:evaluation",
    section=f"{SECTIONS}:evaluation", outputs=("eval.json",),
)  # fmt: skip
_builtin(
    "deploy", DeployConfig, "none", summary="slmconvert.deploy.render:summary",
    section=f"{SECTIONS}:rollout", outputs=("rollout.json",),
)  # fmt: skip
