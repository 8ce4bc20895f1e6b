"""Commands that build and judge models: make-tiny-model, finetune, eval, deploy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmconvert.cli import Force, Out, _help, _log, _print, app, guarded
from slmconvert.config import (
    DeployConfig,
    EvalConfig,
    FinetuneConfig,
)


def _ids(text: str | None) -> list[int] | None:
    from slmconvert.errors import ConfigError

    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError("--cluster: give cluster ids as integers, e.g. 0,2") from None


def _h(name: str) -> str:
    return _help(FinetuneConfig, name)


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
    from slmconvert.testing.tiny_model import build_tiny_model

    build_tiny_model(output, seed=seed, pretrain_steps=pretrain_steps, log=_log)
    typer.echo(f"tiny model written to {output} (load it with from_pretrained)")


@app.command()
@guarded
def finetune(
    input: Annotated[Path, typer.Argument(help="A select stage directory.")],
    output: Out,
    cluster: Annotated[str | None, typer.Option("--cluster", help=_h("clusters"))] = None,
    model: Annotated[str | None, typer.Option(help=_h("model"))] = None,
    method: Annotated[str | None, typer.Option(help=_h("method"))] = None,
    lora_r: Annotated[int | None, typer.Option(help=_h("lora_r"))] = None,
    lora_alpha: Annotated[int | None, typer.Option(help=_h("lora_alpha"))] = None,
    lora_dropout: Annotated[float | None, typer.Option(help=_h("lora_dropout"))] = None,
    target_modules: Annotated[str | None, typer.Option(help=_h("target_modules"))] = None,
    epochs: Annotated[float | None, typer.Option(help=_h("epochs"))] = None,
    max_steps: Annotated[int | None, typer.Option(help=_h("max_steps"))] = None,
    batch_size: Annotated[int | None, typer.Option(help=_h("batch_size"))] = None,
    learning_rate: Annotated[float | None, typer.Option(help=_h("learning_rate"))] = None,
    max_seq_len: Annotated[int | None, typer.Option(help=_h("max_seq_len"))] = None,
    overflow: Annotated[str | None, typer.Option(help=_h("overflow"))] = None,
    max_train: Annotated[int | None, typer.Option(help=_h("max_train"))] = None,
    save_steps: Annotated[int | None, typer.Option(help=_h("save_steps"))] = None,
    threads: Annotated[int | None, typer.Option(help=_h("threads"))] = None,
    seed: Annotated[int | None, typer.Option(help=_h("seed"))] = None,
    allow_unscrubbed: Annotated[bool, typer.Option(help=_h("allow_unscrubbed"))] = False,
    force: Force = False,
) -> None:
    """Train one LoRA/QLoRA adapter per cluster on its train split (resumable)."""
    from slmconvert import summaries
    from slmconvert.config import build
    from slmconvert.progress import RichProgress
    from slmconvert.stages import finetune as stage

    values = dict(locals())
    values.pop("input"), values.pop("output"), values.pop("force")
    values["clusters"] = _ids(values.pop("cluster"))
    values["allow_unscrubbed"] = allow_unscrubbed or None
    config = build(
        FinetuneConfig, {k: v for k, v in values.items() if k in FinetuneConfig.model_fields}
    )
    result = stage.run(input, output, config, force=force, progress=RichProgress(), log=_log)
    _print(summaries.finetune(result))


@app.command("eval")
@guarded
def eval_(
    input: Annotated[Path, typer.Argument(help="A finetune stage directory.")],
    output: Out,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help=_help(EvalConfig, "clusters"))
    ] = None,
    max_eval: Annotated[int | None, typer.Option(help=_help(EvalConfig, "max_eval"))] = None,
    batch_size: Annotated[int | None, typer.Option(help=_help(EvalConfig, "batch_size"))] = None,
    max_new_tokens: Annotated[
        int | None, typer.Option(help=_help(EvalConfig, "max_new_tokens"))
    ] = None,
    samples: Annotated[int | None, typer.Option(help=_help(EvalConfig, "samples"))] = None,
    temperature: Annotated[
        float | None, typer.Option(help=_help(EvalConfig, "temperature"))
    ] = None,
    top_p: Annotated[float | None, typer.Option(help=_help(EvalConfig, "top_p"))] = None,
    similarity_threshold: Annotated[
        float | None, typer.Option(help=_help(EvalConfig, "similarity_threshold"))
    ] = None,
    baseline: Annotated[bool, typer.Option(help=_help(EvalConfig, "baseline"))] = True,
    threads: Annotated[int | None, typer.Option(help=_help(EvalConfig, "threads"))] = None,
    seed: Annotated[int | None, typer.Option(help=_help(EvalConfig, "seed"))] = None,
    force: Force = False,
) -> None:
    """Score each adapter against the LLM's logged answers: before → after, Wilson bounds."""
    from slmconvert import summaries
    from slmconvert.config import build
    from slmconvert.progress import RichProgress
    from slmconvert.stages import eval as stage

    values = dict(locals())
    values["clusters"] = _ids(values.pop("cluster"))
    config = build(EvalConfig, {k: v for k, v in values.items() if k in EvalConfig.model_fields})
    result = stage.run(input, output, config, force=force, progress=RichProgress(), log=_log)
    _print(summaries.evaluation(result))


@app.command()
@guarded
def deploy(
    input: Annotated[Path, typer.Argument(help="An eval stage directory.")],
    output: Out,
    gate_metric: Annotated[
        str | None, typer.Option(help=_help(DeployConfig, "gate_metric"))
    ] = None,
    gate_threshold: Annotated[
        float | None, typer.Option(help=_help(DeployConfig, "gate_threshold"))
    ] = None,
    schedule: Annotated[str | None, typer.Option(help=_help(DeployConfig, "schedule"))] = None,
    min_samples: Annotated[
        int | None, typer.Option(help=_help(DeployConfig, "min_samples"))
    ] = None,
    max_invalid_rate: Annotated[
        float | None, typer.Option(help=_help(DeployConfig, "max_invalid_rate"))
    ] = None,
    llm_price_in: Annotated[
        float | None, typer.Option(help=_help(DeployConfig, "llm_price_in"))
    ] = None,
    llm_price_out: Annotated[
        float | None, typer.Option(help=_help(DeployConfig, "llm_price_out"))
    ] = None,
    timeout_ms: Annotated[int | None, typer.Option(help=_help(DeployConfig, "timeout_ms"))] = None,
    llm_model: Annotated[str | None, typer.Option(help=_help(DeployConfig, "llm_model"))] = None,
    force: Force = False,
) -> None:
    """Write the gated progressive-rollout manifest, savings, and vLLM/LiteLLM configs."""
    from slmconvert.config import build
    from slmconvert.deploy.render import summary
    from slmconvert.stages import deploy as stage

    values = dict(locals())
    if schedule is not None:
        values["schedule"] = [p.strip() for p in schedule.split(",") if p.strip()]
    config = build(
        DeployConfig, {k: v for k, v in values.items() if k in DeployConfig.model_fields}
    )
    result = stage.run(input, output, config, force=force)
    _print(summary(result))
