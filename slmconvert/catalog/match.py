"""Match catalog models to a cluster's needs: reject with reasons, rank the rest.

The rule (the paper's step S4): the specialist should be as small as the task allows. A model is
rejected when it fails a need measured from the cluster (context, tool calling, languages) or a
hard constraint from the user (--max-params, --gpu-memory-gb, --licenses, --models), with every
reason it fails. The others are ranked smallest first; models below the size the cluster's
complexity suggests come after the rest; ties go to more context headroom, then lower cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from slmconvert.catalog import Catalog, ModelSpec, Serving, memory
from slmconvert.core.records import NOISE


@dataclass(frozen=True)
class Criteria:
    """The user's constraints and the ranking's settings; the select stage fills it from its
    settings of the same names."""

    max_params: float | None  # billions of parameters at most
    gpu_memory_gb: float | None  # QLoRA training must fit in this much GPU memory
    train_seq_len: int  # finetune's --max-seq-len, for the training memory estimate
    train_batch_size: int  # finetune's --batch-size, for the training memory estimate
    lora_r: int  # finetune's --lora-r, for the training memory estimate
    licenses: list[str] | None  # allowed licences (None = any)
    models: list[str] | None  # allowed catalog names (None = any)
    top_k: int  # candidates kept per cluster
    min_records: int  # fewer training records stay on the LLM
    include_test_models: bool  # allow test-only models without naming them


def rejections(spec: ModelSpec, req: dict, config: Criteria, allowed: set[str] | None) -> list[str]:
    """Every reason ``spec`` cannot serve a cluster with needs ``req`` (empty = it can)."""
    out = []
    need = req["context_tokens"]["p95"]
    if spec.test_only and not (config.include_test_models or (allowed and spec.name in allowed)):
        out.append(f"test-only model; pass --models {spec.name} or --include-test-models")
    if allowed is not None and spec.name not in allowed:
        out.append("not in --models")
    licenses = {name.lower() for name in config.licenses or []}
    if config.licenses is not None and spec.license.lower() not in licenses:
        out.append(f"licence {spec.license} not in --licenses {','.join(config.licenses)}")
    if config.max_params is not None and spec.params_b > config.max_params:
        out.append(f"{spec.params_b:g}B parameters > --max-params {config.max_params:g}B")
    if spec.context_length < need:
        out.append(
            f"context {spec.context_length:,} tokens < {need:,} needed (p95 prompt + answer)"
        )
    if req["tool_calling"] and not spec.tool_calling:
        out.append(
            f"no native tool calling in its chat template; {req['tool_call_share']:.0%} of "
            "answers call tools"
        )
    for lang in req["required_languages"]:
        if not spec.supports_language(lang):
            out.append(f"card does not list '{lang}' ({req['languages'][lang]:.0%} of prompts)")
    if config.gpu_memory_gb is not None:
        setup = train_setup(config, spec)
        seq = setup.seq_len
        gb = spec.train_gb(setup)
        if gb > config.gpu_memory_gb:
            out.append(
                f"QLoRA training needs ~{gb:.1f} GB at batch {setup.micro_batch} x {seq:,} "
                "tokens > --gpu-memory-gb "
                f"{config.gpu_memory_gb:g}"
            )
    return out


def train_setup(config: Criteria, spec: ModelSpec) -> memory.TrainSetup:
    """How finetune will train ``spec``: QLoRA at select's copy of finetune's settings, the
    sequence length capped by the model's context."""
    return memory.TrainSetup(
        method="qlora", micro_batch=config.train_batch_size,
        seq_len=min(config.train_seq_len, spec.context_length), rank=config.lora_r,
    )  # fmt: skip


def candidate(spec: ModelSpec, req: dict, config: Criteria, serving: Serving) -> dict:
    """A model that meets the needs: why, and its memory and serving-cost estimates."""
    need = max(req["context_tokens"]["p95"], 1)
    setup = train_setup(config, spec)
    floor = req["complexity"]["suggested_min_params_b"]
    reasons = [f"{spec.params_b:g}B parameters"]
    reasons.append(
        f"context {spec.context_length:,} ≥ {need:,} needed "
        f"({spec.context_length / need:.1f}× headroom)"
    )
    if req["tool_calling"]:
        reasons.append(f"native tool calling ({spec.tool_format or 'in its chat template'})")
    if req["required_languages"]:
        reasons.append(f"card lists {', '.join(req['required_languages'])}")
    allowed = " (allowed by --licenses)" if config.licenses is not None else ""
    reasons.append(f"licence {spec.license}{allowed}")
    notes = []
    if spec.params_b < floor:
        notes.append(
            f"below the {floor:g}B suggested for {req['complexity']['level']} clusters "
            f"({'; '.join(req['complexity']['why'])}); ranked after larger fits"
        )
    if req["context_tokens"]["max"] > spec.context_length:
        notes.append("the longest records exceed its context and would be cut")
    if need > setup.seq_len:
        notes.append(
            f"p95 length {need:,} > training sequence length {setup.seq_len:,}: longer "
            "examples are dropped or cut (finetune --overflow)"
        )
    return {
        "model": spec.name,
        "hub_id": spec.hub_id,
        "params_b": spec.params_b,
        "context_length": spec.context_length,
        "context_headroom": round(spec.context_length / need, 2),
        "license": spec.license,
        "tool_calling": spec.tool_calling,
        "tool_format": spec.tool_format,
        "benchmarks": spec.benchmarks,
        "train_memory_gb": round(spec.train_gb(setup), 2),
        "train_seq_len": setup.seq_len,
        "train_batch_size": setup.micro_batch,
        "inference_bf16_gb": round(spec.serving_gb(need), 2),
        "inference_4bit_gb": round(spec.inference_4bit_gb, 2),
        "serving_usd_per_mtok": round(spec.serving_cost(serving), 4),
        "below_suggested_size": spec.params_b < floor,
        "reasons": reasons,
        "notes": notes,
    }


def rank_key(cand: dict) -> tuple:
    """Sort key: meets the suggested size, smaller, more headroom, cheaper, then by name."""
    return (
        cand["below_suggested_size"],
        cand["params_b"],
        -cand["context_headroom"],
        cand["serving_usd_per_mtok"],
        cand["model"],
    )


def decide(
    cid: int,
    label: str | None,
    req: dict,
    cat: Catalog,
    config: Criteria,
    allowed: set[str] | None,
) -> dict:
    """The selection for one cluster: decision, reason, ranked candidates and rejections."""
    entry = {"id": cid, "label": label, "requirements": req}
    stays = {"decision": "stays_on_llm", "candidates": [], "also_fit": [], "rejected": []}
    if cid == NOISE:
        reason = "noise: these calls fit no recurring task (cluster -1)"
        return {**entry, **stays, "reason": reason}
    if req["train_records"] < config.min_records:
        reason = f"{req['train_records']} training records < --min-records {config.min_records}"
        return {**entry, **stays, "reason": reason}
    fits, rejected = [], []
    for spec in cat.models:
        why = rejections(spec, req, config, allowed)
        if why:
            rejected.append({"model": spec.name, "reasons": why})
        else:
            fits.append(candidate(spec, req, config, cat.serving))
    fits.sort(key=rank_key)
    for rank, cand in enumerate(fits, 1):
        cand["rank"] = rank
    top, rest = fits[: config.top_k], fits[config.top_k :]
    if top and top[0]["below_suggested_size"]:
        top[0]["reasons"][0] += "; the smallest fit, though below the suggested size"
        decision = "specialise"
        reason = f"{top[0]['model']} is the smallest fit; no fit reaches the suggested size"
    elif top:
        top[0]["reasons"][0] += "; the smallest that meets the needs"
        decision = "specialise"
        reason = f"{top[0]['model']} is the smallest catalog model that meets the needs"
    else:
        decision = "stays_on_llm"
        reason = "no catalog model meets every need and constraint (see rejected)"
    also = [
        {"model": c["model"], "reason": f"meets the needs; ranked {c['rank']}, below --top-k"}
        for c in rest
    ]
    return {
        **entry,
        "decision": decision,
        "reason": reason,
        "candidates": top,
        "also_fit": also,
        "rejected": rejected,
    }


def allow_list(cat: Catalog, config: Criteria) -> set[str] | None:
    """Catalog names allowed by --models (None = all); an unknown name is a ConfigError."""
    if config.models is None:
        return None
    return {cat.get(name).name for name in config.models}


def assumptions(cat: Catalog) -> dict:
    """The formulas and serving assumptions behind the estimates, for selection.json."""
    return {
        "tokens": "usage.input_tokens/output_tokens, else ceil(characters / 4)",
        "inference_bf16_gb": (
            "(params_b x 2 + KV cache of 8 calls at the cluster's p95: 2 x attention layers x "
            "kv heads x head_dim x 2 B x tokens) x 1.1; params_b x 2 x 1.2 without KV fields"
        ),
        "inference_4bit_gb": "params_b x 0.5 bytes x 1.2 + 0.5 GB",
        "train_memory_gb": (
            "QLoRA at --train-batch-size b, --train-seq-len s, --lora-r r, gradient "
            "checkpointing: (params_b - embeddings) x 0.5 + embeddings x 4 + 20 x r x hidden x "
            "layers x 16 B + b x s x hidden x 2 x (layers + 17) B + b x s x vocab x 10 B + 1.0 GB"
        ),
        "serving_usd_per_mtok": (
            "gpu_hour_usd / (min(tokens_per_second_1b / params_b, max_tokens_per_second) "
            "x 3600) x 1e6"
        ),
        "serving": cat.serving.model_dump(),
    }
