"""`deploy`: the gated progressive-rollout manifest and the configs that serve it (paper S7).

Per cluster of an eval-stage directory: promote the fine-tuned model when the Wilson 95% lower
bound of its gate metric reaches the threshold, hold it (with the numbers) when it does not, and
keep noise and untrained clusters on the LLM. Promoted clusters get the traffic schedule
(shadow → 5 → 25 → 50 → 100 % by default) and the fallback rules; every cluster gets its expected
savings. OUT holds ``rollout.yaml`` / ``rollout.json`` (valid against
``slmconvert/deploy/rollout.schema.json``), the promoted adapters under ``adapters/<id>/``,
``router/`` (the cluster stage's `TaskRouter`, which the gateway loads) and ``clusters.json``,
and ``serve/vllm.sh`` and ``serve/litellm.yaml``. No records are written: deploy ends the
pipeline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from slmconvert.core.config import DeployConfig, plain
from slmconvert.core.errors import InputError
from slmconvert.core.stagedir import StageInput, StageOutput, StageResult, open_input
from slmconvert.deploy import gate, rollout, savings, serve
from slmconvert.deploy.plan import EvalDocs, RolloutPolicy, build

ROUTER = "router"
LINEAGE_DEPTH = 8  # stage inputs followed back when eval did not copy router/
OLD_RUN = "made by an older slmconvert (clusters split by the answer, no router)"
RERUN = "re-run from `slmconvert cluster` (and the stages after it)"
HINTS = {
    "clusters.json": "rerun `slmconvert cluster` and the stages after it",
    "selection.json": "rerun `slmconvert select` and the stages after it",
    "finetune.json": "rerun `slmconvert finetune` and `slmconvert eval`",
    "eval.json": "rerun `slmconvert eval`",
}


def read_docs(stage: StageInput) -> EvalDocs:
    """The four JSON files deploy reads, checked for the fields it relies on."""
    docs = EvalDocs(*(stage.read_json(name, hint) for name, hint in HINTS.items()))
    path = stage.path / "clusters.json"
    clusters = docs.clusters.get("clusters")
    if not isinstance(clusters, list) or not all(
        isinstance(c, dict) and isinstance(c.get("id"), int) for c in clusters
    ):
        raise InputError(f"{path}: field 'clusters' missing or without ids", HINTS["clusters.json"])
    if "router" not in docs.clusters:
        raise InputError(f"{path}: {OLD_RUN}", RERUN)
    entries = docs.eval.get("clusters")
    if not isinstance(entries, list):
        raise InputError(
            f"{stage.path / 'eval.json'}: field 'clusters' missing", HINTS["eval.json"]
        )
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), int):
            raise InputError(f"{stage.path / 'eval.json'}: clusters[{i}].id missing")
        if entry.get("adapter") is None:
            raise InputError(f"{stage.path / 'eval.json'}: clusters[{i}].adapter missing")
    return docs


def find_router(stage: StageInput) -> Path:
    """``router/`` of the input, else of the nearest stage it was made from."""
    seen, queue = set(), [stage.path]
    for _ in range(LINEAGE_DEPTH):
        following = []
        for path in queue:
            if (path / ROUTER / "router.json").is_file():
                return path / ROUTER
            seen.add(path.resolve())
            try:
                manifest = orjson.loads((path / "manifest.json").read_bytes())
            except (OSError, orjson.JSONDecodeError):
                continue
            for item in manifest.get("inputs") or []:
                if item.get("stage") and Path(item["path"]).is_dir():
                    if Path(item["path"]).resolve() not in seen:
                        following.append(Path(item["path"]))
        queue = following
    raise InputError(f"{stage.path}: no {ROUTER}/ here nor in the stages it was made from", RERUN)


def check_router(path: Path, docs: EvalDocs) -> None:
    """The router loads and answers every cluster of clusters.json (an InputError otherwise)."""
    from slmconvert.clustering.router import TaskRouter

    router = TaskRouter.load(path)
    missing = sorted({c["id"] for c in docs.clusters["clusters"]} - set(router.cluster_ids()))
    if missing:
        raise InputError(
            f"{path / 'router.json'}: no route to clusters {missing} of clusters.json",
            "use the router/ of the same cluster run",
        )
    docs.router = {"settings": router.model.settings}


def run(
    input_dir: str | Path,
    output: str | Path,
    config: DeployConfig | None = None,
    *,
    force: bool = False,
) -> StageResult:
    """Write the rollout manifest and serving configs for the eval-stage directory ``input_dir``."""
    config = config or DeployConfig()
    stage = open_input(input_dir, expect=("eval",), require_pii=True)
    docs = read_docs(stage)
    router = find_router(stage)
    check_router(router, docs)
    traffic = savings.tally(
        _batches(stage), savings.Prices(config.llm_price_in, config.llm_price_out)
    )
    if not traffic.clusters:
        raise InputError(f"{stage.path}: no records")
    plan = build(docs, traffic, plain(RolloutPolicy, config), ROUTER)
    for cid, source in plan.copies.items():
        if not source.is_dir():
            raise InputError(
                f"{stage.path / 'eval.json'}: adapter directory of cluster {cid} not found",
                "keep the finetune output where eval read it, or rerun `slmconvert eval`",
            )
    if (config.llm_price_in is None) != (config.llm_price_out is None):
        plan.warnings.append(
            "the price table needs both --llm-price-in and --llm-price-out; unused"
        )
    rollout.validate(plan.doc)
    inputs = [stage.as_input_entry()]
    if router.parent != stage.path:
        inputs.append({"path": str(router), "role": "router"})
        plan.warnings.append(f"{ROUTER}/ read from an earlier stage: {router.parent}")
    with StageOutput(
        output,
        "deploy",
        config.model_dump(mode="json"),
        inputs=inputs,
        lineage=stage.lineage,
        force=force,
        seed=config.seed,
        packages=("jsonschema", "pyyaml"),
    ) as out:
        _write(out, stage, plan, router, config)
        _tally(out, plan)
    return StageResult(out.out, out.manifest)


def _batches(stage: StageInput):
    """The records' columns deploy needs, as lists of dicts."""
    for path in stage.data_files():
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000, columns=savings.COLUMNS):
            yield batch.to_pylist()


def _write(out: StageOutput, stage: StageInput, plan, router: Path, config: DeployConfig) -> None:
    for cid, source in plan.copies.items():
        shutil.copytree(source, out.path / "adapters" / str(cid))
    shutil.copytree(router, out.path / ROUTER)
    if (stage.path / "centroids.npy").is_file():  # the report's cluster map
        shutil.copyfile(stage.path / "centroids.npy", out.path / "centroids.npy")
    shutil.copyfile(stage.path / "clusters.json", out.path / "clusters.json")
    (out.path / "rollout.json").write_bytes(rollout.to_json(plan.doc))
    (out.path / "rollout.yaml").write_text(rollout.to_yaml(plan.doc), encoding="utf-8")
    serve_dir = out.path / "serve"
    serve_dir.mkdir()
    for relative, text in plan.templates.items():
        (out.path / relative).parent.mkdir(parents=True, exist_ok=True)
        (out.path / relative).write_text(text, encoding="utf-8")
    script = serve_dir / "vllm.sh"
    script.write_text(serve.vllm_script(plan.served), encoding="utf-8")
    script.chmod(0o755)
    litellm = serve.litellm_config(
        plan.served, plan.doc["llm"]["model"], config.schedule[0], config.timeout_ms
    )
    (serve_dir / "litellm.yaml").write_text(litellm, encoding="utf-8")


def _tally(out: StageOutput, plan) -> None:
    entries = plan.doc["clusters"]
    decided = {d: sum(e["decision"] == d for e in entries) for d in (gate.PROMOTE, gate.HOLD)}
    out.counts = {
        "clusters": sum(e["id"] != gate.NOISE for e in entries),
        "promoted": decided[gate.PROMOTE],
        "held": decided[gate.HOLD],
        "stays_on_llm": sum(e["decision"] == gate.STAY and e["id"] != gate.NOISE for e in entries),
        "adapters_copied": len(plan.copies),
        "servers": len({(s.base if s.kind == "adapter" else s.path) for s in plan.served}),
    }
    promoted = plan.doc["savings"]["promoted"]
    monthly = promoted["monthly"] or {}
    out.metrics = {
        "saving_usd": promoted["saving_usd"],
        "saving_share": promoted["saving_share"],
        "monthly_saving_usd": monthly.get("saving_usd"),
        "share_of_calls_promoted": round(
            promoted["calls"] / max(plan.doc["savings"]["all_calls"]["calls"], 1), 4
        ),
    }
    out.warnings.extend(plan.warnings)
