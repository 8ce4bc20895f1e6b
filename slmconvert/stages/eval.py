"""`eval`: score each cluster's SLM against the LLM's own logged answers (paper step S6).

For every cluster finetune trained, the held-out calls (``split == "eval"``) are answered by the
base model alone (before) and with the adapter (after), greedy by default; with ``--samples K``
also by self-consistent action generation (K samples, majority vote over valid answers). Answers
are parsed in the model's tool format and scored by `slmconvert.evaluation` against the logged
response. OUT holds the records, the upstream JSON files, ``centroids.npy`` and ``eval.json``
(docs/stage-outputs.md).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from slmconvert import evaluation as ev
from slmconvert.core.config import EvalConfig
from slmconvert.core.errors import InputError
from slmconvert.core.progress import Progress, StepCounter
from slmconvert.core.stagedir import StageOutput, StageResult, open_input
from slmconvert.evaluation.engines import transformers_engine, vllm_engine
from slmconvert.evaluation.similarity import SIMILARITY_MODEL, Similarity
from slmconvert.training import examples as ex
from slmconvert.training.models import ModelRef, device, load_model, load_tokenizer
from slmconvert.training.templates import profile_of

COLUMNS = ["messages", "tools", "response", "cluster_id", "split"]
FORWARD = ("clusters.json", "selection.json", "finetune.json", "centroids.npy", "router")
EXAMPLES_SHOWN = 3


def _texts(answers: list[ev.Answer]) -> list[str]:
    out = []
    for a in answers:
        if a.kind == "text":
            out.append(a.text)
        for call in a.calls:
            out.extend(v for v in call.arguments.values() if isinstance(v, str))
    return out


def _engines(entry: dict, ref_model: ModelRef, adapter: Path, tokenizer, config):
    """Makers of the base model's and the tuned model's engines (``evaluation.engines``)."""
    if config.engine == "vllm":
        rank = int((entry.get("hyperparameters") or {}).get("lora_r") or 16)
        if entry["kind"] == "model":
            return (lambda: vllm_engine(entry["base"], None, config),
                    lambda: vllm_engine(str(adapter), None, config))  # fmt: skip
        return (lambda: vllm_engine(entry["base"], None, config, rank),
                lambda: vllm_engine(entry["base"], adapter, config, rank))  # fmt: skip
    loaded: dict = {}

    def base():
        loaded["base"] = load_model(ref_model, on=device())
        return transformers_engine(loaded["base"], tokenizer, config)

    def tuned():
        model = loaded.get("base") or load_model(ref_model, on=device())
        return transformers_engine(_load_tuned(model, entry, adapter), tokenizer, config)

    return base, tuned


def _load_tuned(base_model, entry: dict, adapter: Path):
    if entry["kind"] == "model":
        return load_model(ModelRef(entry["model"], str(adapter)), on=device())
    from peft import PeftModel

    return PeftModel.from_pretrained(base_model, adapter)


def _score_model(engine, rows, prompts, refs, fmt, config, similarity, note):
    """METRICS for greedy answers and, with samples > 1, for the SCG vote; plus the answers."""
    greedy = engine(prompts, 1, lambda d, t: note("greedy", d, t))
    answers = [ev.parse(g[0].text, fmt) for g in greedy]
    tools = [r["tools"] or [] for r in rows]
    similarity.prime(_texts(answers) + _texts(refs))
    metrics = ev.score(
        list(zip(answers, refs, strict=True)), tools, similarity, config.similarity_threshold,
        latency_ms=[g[0].latency_ms for g in greedy], generated_tokens=[g[0].tokens for g in greedy],
    )  # fmt: skip
    scg = None
    if config.samples > 1:
        sampled = engine(
            prompts, config.samples, lambda d, t: note(f"{config.samples} samples", d, t)
        )
        voted = [ev.vote([ev.parse(s.text, fmt) for s in group]) for group in sampled]
        similarity.prime(_texts(voted))
        scg = ev.score(
            list(zip(voted, refs, strict=True)), tools, similarity, config.similarity_threshold
        )
    return metrics, scg, [g[0].text for g in greedy]


def _prompts(tokenizer, rows: list[dict], profile, model: str, log, cid) -> tuple[list, list]:
    """The rows the template can hold and their prompts; a template error names the record."""
    kept, prompts, skipped = [], [], 0
    for row in rows:
        try:
            prompts.append(ex.render_prompt(tokenizer, row, profile))
        except ex.Skip:
            skipped += 1
            continue
        except ex.TemplateFailure as exc:
            raise exc.stage_error(model, row) from None
        kept.append(row)
    if skipped and log:
        log(f"cluster {cid}: {skipped} held-out calls skipped for the {profile.name} template")
    return kept, prompts


def _evaluate(entry, rows, upstream: Path, config, similarity, progress, log) -> dict:
    cid = entry["id"]
    adapter = (upstream / entry["path"]).resolve()
    ref_model = ModelRef(entry["model"], entry["base"], entry.get("tool_format") or "")
    tokenizer = load_tokenizer(ModelRef(entry["model"], str(adapter)))
    profile = profile_of(entry, tokenizer)
    fmt = profile.parser
    rows, prompts = _prompts(tokenizer, rows, profile, entry["model"], log, cid)
    refs = [ev.reference_answer(r["response"]) for r in rows]

    def note(phase: str):
        def inner(what: str, done: int, total: int) -> None:
            progress(f"eval cluster {cid}: {phase} model, {what}", done, total)

        return inner

    base_engine, tuned_engine = _engines(entry, ref_model, adapter, tokenizer, config)
    before = scg_before = None
    texts_before: list[str] = []
    if config.baseline:
        before, scg_before, texts_before = _score_model(
            base_engine(), rows, prompts, refs, fmt, config, similarity, note("base")
        )
    after, scg_after, texts_after = _score_model(
        tuned_engine(), rows, prompts, refs, fmt, config, similarity, note("tuned")
    )
    if log:
        log(f"cluster {cid}: scored {len(rows)} held-out calls")
    kinds: dict[str, int] = {}
    for r in refs:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    shown = [
        {
            "reference": _reference_text(rows[i]),
            "before": texts_before[i] if texts_before else None,
            "after": texts_after[i],
        }
        for i in range(min(EXAMPLES_SHOWN, len(rows)))
    ]
    return {
        "id": cid,
        "label": entry.get("label"),
        "model": entry["model"],
        "base": entry["base"],
        "adapter": str(adapter),
        "kind": entry["kind"],
        "tool_format": fmt,
        "template": profile.name,
        "device": "vllm" if config.engine == "vllm" else device(),
        "latency_batch_size": config.batch_size,  # latency_ms is per call within such a batch
        "records": len(rows),
        "answer_kinds": kinds,
        "before": before,
        "after": after,
        "scg": {"before": scg_before, "after": scg_after} if config.samples > 1 else None,
        "examples": shown,
    }


def _reference_text(row: dict) -> str:
    resp = row["response"]
    calls = resp.get("tool_calls") or []
    if calls:
        return "\n".join(f"{c['name']}({c['arguments']})" for c in calls)
    return resp.get("content") or ""


def run(
    input_dir: str | Path,
    output: str | Path,
    config: EvalConfig | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
    log=None,
) -> StageResult:
    """Score every adapter of the finetune-stage directory ``input_dir`` on its held-out calls.

    ``progress`` shows a bar per cluster and phase; ``log(line)`` receives notes.
    """
    import torch

    config = config or EvalConfig()
    stage = open_input(input_dir, expect=("finetune",))
    trained = _chosen(stage, config)
    chosen = {t["id"] for t in trained}
    held_out = stage.split_rows("eval", chosen, config.max_eval, COLUMNS)
    if config.threads:
        torch.set_num_threads(config.threads)
    similarity = Similarity(SIMILARITY_MODEL)
    with StageOutput(
        output, "eval", config.model_dump(mode="json"), inputs=[stage.as_input_entry()],
        lineage=stage.lineage, force=force, seed=config.seed,
        packages=("torch", "transformers", "peft", "sentence-transformers", "jsonschema"),
    ) as out:  # fmt: skip
        out.copy_forward(stage, FORWARD)
        counter = StepCounter(progress)
        results, skipped = [], []
        for entry in trained:
            rows = held_out.get(entry["id"], [])
            if not rows:
                skipped.append({"id": entry["id"], "reason": "no held-out calls"})
                continue
            torch.manual_seed(config.seed)
            results.append(_evaluate(entry, rows, stage.path, config, similarity, counter, log))
        counter.finish()
        _write(out, config, results, skipped)
    return StageResult(out.out, out.manifest)


def _chosen(stage, config: EvalConfig) -> list[dict]:
    """The trained clusters to score: all, or those of ``--cluster`` (each must exist)."""
    trained = stage.read_json("finetune.json", "rerun `slmconvert finetune`").get("clusters", [])
    if config.clusters is None:
        return trained
    wanted = set(config.clusters)
    if unknown := wanted - {t["id"] for t in trained}:
        raise InputError(
            f"cluster {sorted(unknown)[0]}: has no adapter in {stage.path}",
            "known: " + ", ".join(str(t["id"]) for t in trained),
        )
    return [t for t in trained if t["id"] in wanted]


def _write(out, config: EvalConfig, results: list[dict], skipped: list[dict]) -> None:
    """eval.json and the manifest's counts and headline metrics."""
    doc = {
        "settings": {
            **config.model_dump(mode="json", include={"samples", "temperature", "top_p"}),
            "similarity_threshold": config.similarity_threshold,
            "embedder": SIMILARITY_MODEL,
        },
        "clusters": results,
        "skipped": skipped,
    }
    (out.path / "eval.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    out.counts = {
        "clusters_scored": len(results),
        "clusters_skipped": len(skipped),
        "calls_scored": sum(r["records"] for r in results),
    }
    out.metrics = {str(r["id"]): _headline(r) for r in results}


HEADLINE = ("valid_output", "function_name_accuracy", "tool_call_match", "text_similarity_match")


def _headline(result: dict) -> dict:
    pick = {}
    for side in ("before", "after"):
        metrics = result.get(side) or {}
        for name in HEADLINE:
            if name in metrics:
                pick[f"{name}_{side}"] = metrics[name]["rate"]
    return pick
