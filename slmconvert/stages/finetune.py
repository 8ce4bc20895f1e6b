"""`finetune`: one adapter per cluster on its train split (paper step S5).

For each cluster select chose a model for (or ``--cluster``), the base is its first candidate or
``--model``. Records are rendered with the model's chat template and trained with answer-only
loss (`slmconvert.training`). QLoRA on CUDA, LoRA on CPU, full fine-tuning for tiny models.

Adapters are trained in a work directory next to OUT (``.OUT.work/``) and copied into OUT when
all clusters are done, so Ctrl-C keeps finished adapters and a rerun resumes: a cluster whose
adapter exists with the same settings is reused, an interrupted one resumes from its last
checkpoint. OUT holds the records, ``clusters.json``, ``selection.json``, ``centroids.npy``,
``adapters/<id>/`` and ``finetune.json`` (docs/stage-outputs.md).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import orjson

from slmconvert.core.config import FinetuneConfig, plain
from slmconvert.core.errors import ConfigError, InputError
from slmconvert.core.progress import Progress, StepCounter
from slmconvert.core.records import NOISE
from slmconvert.core.stagedir import StageOutput, StageResult, hash_json, open_input
from slmconvert.training import distributed
from slmconvert.training import examples as ex
from slmconvert.training.models import ModelRef, load_tokenizer, resolve
from slmconvert.training.templates import profile_for
from slmconvert.training.trainer import TrainResult, TrainSettings, pick_method, train

COLUMNS = ["id", "messages", "tools", "response", "cluster_id", "split", "has_media"]
FORWARD = ("clusters.json", "selection.json", "centroids.npy", "router")
UNHASHED = {
    "clusters",
    "threads",
    "allow_unscrubbed",
    "save_steps",
    "engine",
    "ray_address",
    "gpu_share",
}


def plan(selection: dict, config: FinetuneConfig) -> tuple[list[dict], list[dict]]:
    """Which clusters to train with which model, and which are skipped with the reason.

    By default the clusters select chose a model for, each with its first candidate;
    ``--model`` swaps the model, ``--cluster`` names the clusters (select's decision aside).
    """
    todo, skipped = [], []
    entries = {c["id"]: c for c in selection.get("clusters", [])}
    wanted = config.clusters if config.clusters is not None else sorted(entries)
    for cid in wanted:
        entry = entries.get(cid)
        if entry is None:
            known = ", ".join(str(c) for c in sorted(entries))
            raise InputError(f"cluster {cid}: not in selection.json", f"known clusters: {known}")
        candidates = entry.get("candidates") or []
        chosen = entry.get("decision") == "specialise" and candidates
        named = config.clusters is not None  # --cluster overrides select's decision
        if cid == NOISE:
            skipped.append({"id": cid, "reason": "noise stays on the LLM"})
        elif config.model and (chosen or named):
            todo.append({"id": cid, "label": entry.get("label"), "model": config.model})
        elif not chosen:
            skipped.append({"id": cid, "reason": entry.get("reason") or "no candidate model"})
        else:
            todo.append({"id": cid, "label": entry.get("label"), "model": candidates[0]["model"]})
    return todo, skipped


def _cluster_hash(config: FinetuneConfig, ref: ModelRef, method: str, rows: list[dict]) -> str:
    settings = config.model_dump(mode="json", exclude=UNHASHED)
    ids = [r["id"] for r in rows]
    return hash_json({"settings": settings, "model": ref.name, "method": method, "ids": ids})


def _finished(path: Path, wanted: str) -> dict | None:
    try:
        info = orjson.loads((path / "training.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return info if info.get("config_hash") == wanted else None


MEDIA_SKIPPED = "holds media (--media skip: the base model reads text only)"


class Encoding(NamedTuple):
    """A cluster's encoded examples, and how many records were truncated, dropped (too long)
    and skipped (the template cannot hold them, by reason)."""

    examples: list[ex.Encoded]
    truncated: int
    dropped: int
    skipped: Counter


def _encode_all(tokenizer, rows: list[dict], config: FinetuneConfig, profile, ref) -> Encoding:
    """The cluster's rows encoded; a template error names the model and the record."""
    encoded, truncated, dropped, skipped = [], 0, 0, Counter()
    for row in rows:
        if row.get("has_media") and config.media == "skip":
            skipped[MEDIA_SKIPPED] += 1
            continue
        try:
            e = ex.encode(tokenizer, row, config.max_seq_len, config.overflow, profile)
        except ex.Skip as why:
            skipped[str(why)] += 1
            continue
        except ex.TemplateFailure as exc:
            hint = (
                f"the {profile.name} template profile does not fit it; report it with the model id"
            )
            raise exc.stage_error(ref.name, row, hint) from None
        if e is None:
            dropped += 1
            continue
        truncated += e.truncated
        encoded.append(e)
    return Encoding(encoded, truncated, dropped, skipped)


def _train_all(jobs: list, config: FinetuneConfig, method: str, work: Path, counter, log):
    """``(info, adapter dir)`` per job, in job order: one after another here, or one Ray task
    per cluster with ``--engine ray`` (the work directory must be on storage every Ray node
    sees)."""
    if config.engine == "local":
        for item, rows, previous in jobs:
            yield _train_one(item, rows, config, method, work, previous, counter, log)
        return
    from slmconvert.scale import ray_engine

    address = ray_engine.connect(config.ray_address)
    if log:
        log(f"Ray at {address}: {len(jobs)} clusters in parallel")
    for info, source, lines in ray_engine.run_tasks(
        _train_remote, [(item, rows, config, method, work, previous) for item, rows, previous in jobs],
        gpus=config.gpu_share if method == "qlora" else 0,
    ):  # fmt: skip
        for line in lines if log else ():
            log(line)
        yield info, source


def _train_remote(item, rows, config, method, work, previous):
    """``_train_one`` in a Ray worker: no progress display; its notes come back as lines."""
    lines: list[str] = []
    info, source = _train_one(
        item, rows, config, method, work, previous, lambda *_: None, lines.append
    )
    return info, source, lines


def _train_one(
    item: dict,
    rows: list[dict],
    config: FinetuneConfig,
    method: str,
    work: Path,
    previous: Path | None,
    counter: StepCounter,
    log,
) -> tuple[dict, Path]:
    """Train one cluster's adapter, or reuse one finished with the same settings:
    ``(info, adapter dir)``."""
    cid = item["id"]
    ref = resolve(item["model"], log=log)
    wanted = _cluster_hash(config, ref, method, rows)
    reused = _reusable(cid, wanted, [previous, work / str(cid) / "adapter"], log)
    if reused is not None:
        return reused
    cluster_work = _cluster_work(work / str(cid), wanted)

    tokenizer = load_tokenizer(ref)
    profile = profile_for(tokenizer)
    encoding = _encode_all(tokenizer, rows, config, profile, ref)
    _log_encoding(cid, encoding, profile, log)

    def report(step: int, total: int, loss: float | None) -> None:
        counter(f"finetune cluster {cid}", step, total)

    adapter = cluster_work / "adapter"
    settings = plain(TrainSettings, config)
    result = train(
        ref, encoding.examples, settings, method, cluster_work, adapter, report, tokenizer
    )
    info = _info(item, ref, profile, method, config, wanted, encoding, result)
    if distributed.is_main():
        (adapter / "training.json").write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
    return info, adapter


def _reusable(cid: int, wanted: str, dirs: list[Path | None], log) -> tuple[dict, Path] | None:
    """``(info, adapter dir)`` of the first of ``dirs`` holding an adapter trained with the
    settings hash ``wanted``, else None."""
    for done_dir in filter(None, dirs):
        info = _finished(done_dir, wanted)
        if info is not None:
            if log:
                log(f"cluster {cid}: adapter with the same settings exists, reused")
            return {**info, "reused": True}, done_dir
    return None


def _cluster_work(cluster_work: Path, wanted: str) -> Path:
    """A cluster's work directory, emptied when it holds checkpoints of other settings."""
    if (cluster_work / "config_hash").exists():
        if (cluster_work / "config_hash").read_text() != wanted:
            shutil.rmtree(cluster_work)  # settings changed: old checkpoints do not apply
    cluster_work.mkdir(parents=True, exist_ok=True)
    (cluster_work / "config_hash").write_text(wanted)
    return cluster_work


def _log_encoding(cid: int, encoding: Encoding, profile, log) -> None:
    """Notes on the records truncated, dropped or skipped."""
    _, truncated, dropped, skipped = encoding
    if log and (truncated or dropped):
        log(f"cluster {cid}: {truncated} examples truncated, {dropped} dropped (--max-seq-len)")
    if log and skipped:
        log(f"cluster {cid}: {sum(skipped.values())} records skipped for the {profile.name} "
            f"template: {'; '.join(f'{n} {why}' for why, n in skipped.items())}")  # fmt: skip


def _info(
    item: dict,
    ref: ModelRef,
    profile,
    method: str,
    config: FinetuneConfig,
    wanted: str,
    encoding: Encoding,
    result: TrainResult,
) -> dict:
    """A trained cluster's entry of finetune.json, also its adapter's training.json."""
    encoded, truncated, dropped, skipped = encoding
    cid = item["id"]
    return {
        "id": cid,
        "label": item.get("label"),
        "model": ref.name,
        "base": ref.base,
        "tool_format": ref.tool_format,
        "template": profile.name,
        "parser": profile.parser,
        "native_tools": profile.tools != "text",
        "method": method,
        "kind": "model" if method == "full" else "adapter",
        "path": f"adapters/{cid}",
        "config_hash": wanted,
        "hyperparameters": config.model_dump(mode="json", exclude=UNHASHED | {"model"}),
        "examples": len(encoded),
        "overflow": {"truncated": truncated, "dropped": dropped, "policy": config.overflow},
        "skipped": dict(skipped),
        "steps": result.steps,
        "epochs": result.epochs,
        "loss": result.loss,
        "final_loss": result.final_loss,
        "tokens": result.tokens,
        "tokens_per_s": result.tokens_per_s,
        "peak_memory_mb": result.peak_memory_mb,
        "wall_s": result.wall_s,
        "seed": config.seed,
        "resumed_from_step": result.resumed_from_step,
        "processes": result.processes,
    }


def _jobs(todo: list[dict], records: dict, output: Path, skipped: list[dict]) -> list[tuple]:
    """``(item, rows, previous adapter dir)`` per cluster to train; clusters without training
    records are added to ``skipped``."""
    jobs = []
    for item in todo:
        rows = records.get(item["id"], [])
        if not rows:
            skipped.append({"id": item["id"], "reason": "no training records"})
            continue
        previous = output / "adapters" / str(item["id"]) if output.exists() else None
        jobs.append((item, rows, previous))
    return jobs


def run(
    input_dir: str | Path,
    output: str | Path,
    config: FinetuneConfig | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
    log=None,
) -> StageResult | None:
    """Train an adapter per cluster of the select-stage directory ``input_dir``.

    ``progress`` shows a bar per cluster; ``log(line)`` receives notes (reuse, truncation).
    Under `accelerate launch` every process trains each adapter together (data parallel) and
    only the main one writes the stage; the others return None.
    """
    config = config or FinetuneConfig()
    stage = open_input(
        input_dir, expect=("select",), require_pii=True, allow_unscrubbed=config.allow_unscrubbed
    )
    method = pick_method(config.method)
    todo, skipped = plan(stage.read_json("selection.json", "rerun `slmconvert select`"), config)
    records = stage.split_rows("train", {item["id"] for item in todo}, config.max_train, COLUMNS)
    output = Path(output)
    work = output.parent / f".{output.name}.work"
    jobs = _jobs(todo, records, output, skipped)
    if distributed.world_size() > 1:
        if config.engine == "ray":
            raise ConfigError("--engine ray cannot run under accelerate launch or torchrun")
        if not distributed.is_main():  # a helper process: train beside the main one, write nothing
            for _ in _train_all(jobs, config, method, work, StepCounter(None), None):
                pass
            return None
    with StageOutput(
        output,
        "finetune",
        config.model_dump(mode="json"),
        inputs=[stage.as_input_entry()],
        lineage=stage.lineage,
        force=force,
        seed=config.seed,
        packages=("torch", "transformers", "peft", "trl", "bitsandbytes", "accelerate"),
    ) as out:
        out.copy_forward(stage, FORWARD)
        counter = StepCounter(progress)
        trained = []
        for info, source in _train_all(jobs, config, method, work, counter, log):
            shutil.copytree(source, out.path / "adapters" / str(info["id"]))
            trained.append(info)
        counter.finish()
        doc = {"clusters": trained, "skipped": skipped}
        (out.path / "finetune.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        _tally(out, trained, skipped)
    shutil.rmtree(work, ignore_errors=True)
    return StageResult(out.out, out.manifest)


def _tally(out: StageOutput, trained: list[dict], skipped: list[dict]) -> None:
    """The manifest's counts, per-cluster metrics and warnings."""
    out.counts = {
        "clusters_trained": sum(not t.get("reused") for t in trained),
        "clusters_reused": sum(bool(t.get("reused")) for t in trained),
        "clusters_skipped": len(skipped),
        "examples": sum(t["examples"] for t in trained),
        "examples_truncated": sum(t["overflow"]["truncated"] for t in trained),
        "examples_dropped": sum(t["overflow"]["dropped"] for t in trained),
    }
    out.metrics = {
        str(t["id"]): {
            k: t[k] for k in ("final_loss", "steps", "tokens_per_s", "peak_memory_mb", "wall_s")
        }
        for t in trained
    }
    if not trained:
        out.warnings.append("no cluster was trained: " + "; ".join(
            f"{s['id']}: {s['reason']}" for s in skipped) )  # fmt: skip
