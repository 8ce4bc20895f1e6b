"""Commands that build and judge models: make-tiny-model, finetune, eval, deploy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmconvert.cli import Force, Out, _log, _print, app, default, guarded, setting, split
from slmconvert.core.config import DeployConfig, EvalConfig, FinetuneConfig
from slmconvert.stages import registry

F, E, D = FinetuneConfig, EvalConfig, DeployConfig
IDS = " Comma-separated ids."


def _ids(text: str | None) -> list[int] | None:
    from slmconvert.core.errors import ConfigError

    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError("--cluster: give cluster ids as integers, e.g. 0,2") from None


@app.command("make-tiny-model")
@guarded
def make_tiny_model(
    output: Annotated[Path, typer.Argument(help="Directory to write the model and tokenizer to.")],
    seed: Annotated[int, typer.Option(help="Random seed for weights and pre-training.")] = 0,
    pretrain_steps: Annotated[
        int, typer.Option(help="Pre-training steps on the shipped text (0 = random weights).")
    ] = 500,
) -> None:
    """Build the tiny Llama-style test model (local tokenizer, tool-calling chat template)."""
    from slmconvert.training.tiny import build_tiny_model

    build_tiny_model(output, seed=seed, pretrain_steps=pretrain_steps, log=_log)
    typer.echo(f"tiny model written to {output} (load it with from_pretrained)")


@app.command()
@guarded
def finetune(
    input: Annotated[Path, typer.Argument(help="A select stage directory.")],
    output: Out,
    cluster: Annotated[str | None, setting(F, "clusters", "--cluster", suffix=IDS)] = None,
    model: Annotated[str | None, setting(F, "model")] = default(F, "model"),
    method: Annotated[str, setting(F, "method")] = default(F, "method"),
    lora_r: Annotated[int, setting(F, "lora_r")] = default(F, "lora_r"),
    lora_alpha: Annotated[int, setting(F, "lora_alpha")] = default(F, "lora_alpha"),
    lora_dropout: Annotated[float, setting(F, "lora_dropout")] = default(F, "lora_dropout"),
    target_modules: Annotated[str, setting(F, "target_modules")] = default(F, "target_modules"),
    epochs: Annotated[float, setting(F, "epochs")] = default(F, "epochs"),
    max_steps: Annotated[int, setting(F, "max_steps")] = default(F, "max_steps"),
    batch_size: Annotated[int, setting(F, "batch_size")] = default(F, "batch_size"),
    learning_rate: Annotated[float, setting(F, "learning_rate")] = default(F, "learning_rate"),
    max_seq_len: Annotated[int, setting(F, "max_seq_len")] = default(F, "max_seq_len"),
    overflow: Annotated[str, setting(F, "overflow")] = default(F, "overflow"),
    max_train: Annotated[int, setting(F, "max_train")] = default(F, "max_train"),
    media: Annotated[str, setting(F, "media")] = default(F, "media"),
    save_steps: Annotated[int, setting(F, "save_steps")] = default(F, "save_steps"),
    threads: Annotated[int, setting(F, "threads")] = default(F, "threads"),
    seed: Annotated[int, setting(F, "seed")] = default(F, "seed"),
    allow_unscrubbed: Annotated[bool, setting(F, "allow_unscrubbed")] = default(
        F, "allow_unscrubbed"
    ),
    engine: Annotated[str, setting(F, "engine")] = default(F, "engine"),
    ray_address: Annotated[str | None, setting(F, "ray_address")] = default(F, "ray_address"),
    gpu_share: Annotated[float, setting(F, "gpu_share")] = default(F, "gpu_share"),
    force: Force = False,
) -> None:
    """Train one LoRA/QLoRA adapter per cluster on its train split (resumable)."""
    from slmconvert.core.config import build
    from slmconvert.core.progress import RichProgress
    from slmconvert.stages import finetune as stage

    values = dict(locals())
    values.pop("input"), values.pop("output"), values.pop("force")
    values["clusters"] = _ids(values.pop("cluster"))
    config = build(
        FinetuneConfig, {k: v for k, v in values.items() if k in FinetuneConfig.model_fields}
    )
    result = stage.run(input, output, config, force=force, progress=RichProgress(), log=_log)
    if result is not None:  # None: a helper process of `accelerate launch`; the main one reports
        _print(registry.get("finetune").summarise(result))


@app.command("eval")
@guarded
def eval_(
    input: Annotated[Path, typer.Argument(help="A finetune stage directory.")],
    output: Out,
    cluster: Annotated[str | None, setting(E, "clusters", "--cluster", suffix=IDS)] = None,
    max_eval: Annotated[int, setting(E, "max_eval")] = default(E, "max_eval"),
    batch_size: Annotated[int, setting(E, "batch_size")] = default(E, "batch_size"),
    max_new_tokens: Annotated[int, setting(E, "max_new_tokens")] = default(E, "max_new_tokens"),
    samples: Annotated[int, setting(E, "samples")] = default(E, "samples"),
    temperature: Annotated[float, setting(E, "temperature")] = default(E, "temperature"),
    top_p: Annotated[float, setting(E, "top_p")] = default(E, "top_p"),
    similarity_threshold: Annotated[float, setting(E, "similarity_threshold")] = default(
        E, "similarity_threshold"
    ),
    baseline: Annotated[bool, setting(E, "baseline")] = default(E, "baseline"),
    threads: Annotated[int, setting(E, "threads")] = default(E, "threads"),
    engine: Annotated[str, setting(E, "engine")] = default(E, "engine"),
    seed: Annotated[int, setting(E, "seed")] = default(E, "seed"),
    force: Force = False,
) -> None:
    """Score each adapter against the LLM's logged answers: before → after, Wilson bounds."""
    from slmconvert.core.config import build
    from slmconvert.core.progress import RichProgress
    from slmconvert.stages import eval as stage

    values = dict(locals())
    values["clusters"] = _ids(values.pop("cluster"))
    config = build(EvalConfig, {k: v for k, v in values.items() if k in EvalConfig.model_fields})
    result = stage.run(input, output, config, force=force, progress=RichProgress(), log=_log)
    _print(registry.get("eval").summarise(result))


@app.command()
@guarded
def deploy(
    input: Annotated[Path, typer.Argument(help="An eval stage directory.")],
    output: Out,
    gate_metric: Annotated[str, setting(D, "gate_metric")] = default(D, "gate_metric"),
    gate_threshold: Annotated[float, setting(D, "gate_threshold")] = default(D, "gate_threshold"),
    schedule: Annotated[str, setting(D, "schedule")] = default(D, "schedule"),
    min_samples: Annotated[int, setting(D, "min_samples")] = default(D, "min_samples"),
    max_invalid_rate: Annotated[float, setting(D, "max_invalid_rate")] = default(
        D, "max_invalid_rate"
    ),
    llm_price_in: Annotated[float | None, setting(D, "llm_price_in")] = default(D, "llm_price_in"),
    llm_price_out: Annotated[float | None, setting(D, "llm_price_out")] = default(
        D, "llm_price_out"
    ),
    timeout_ms: Annotated[int, setting(D, "timeout_ms")] = default(D, "timeout_ms"),
    llm_model: Annotated[str | None, setting(D, "llm_model")] = default(D, "llm_model"),
    audit_rate: Annotated[float, setting(D, "audit_rate")] = default(D, "audit_rate"),
    seed: Annotated[int, setting(D, "seed")] = default(D, "seed"),
    force: Force = False,
) -> None:
    """Write the gated progressive-rollout manifest, savings, and vLLM/LiteLLM configs."""
    from slmconvert.core.config import build
    from slmconvert.stages import deploy as stage

    values = dict(locals())
    values["schedule"] = split(schedule)
    config = build(
        DeployConfig, {k: v for k, v in values.items() if k in DeployConfig.model_fields}
    )
    result = stage.run(input, output, config, force=force)
    _print(registry.get("deploy").summarise(result))
