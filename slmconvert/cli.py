"""The `slmconvert` command line: options → a stage function → a summary.

This is the only module that prints, exits, or sets up logging. Stage modules are imported
inside the commands so `slmconvert --help` stays instant.
"""

from __future__ import annotations

import functools
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from slmconvert import __version__
from slmconvert.config import (
    ClusterConfig,
    CollectConfig,
    DeployConfig,
    EvalConfig,
    FinetuneConfig,
    PiiConfig,
    describe,
)
from slmconvert.errors import SlmconvertError

app = typer.Typer(
    help="Turn an LLM agent's logs into cheaper, specialised small language models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state = {"debug": False}

Force = Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")]
Out = Annotated[Path, typer.Option("--output", "-o", help="Output stage directory.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"slmconvert {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Collect → pii → cluster → select → finetune → eval → deploy, one directory per stage."""
    _state["debug"] = debug


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def guarded(fn):
    """Run a command body, turning slmconvert errors into one line on stderr and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        # SIGTERM unwinds like Ctrl-C, so the stage removes its temporary output
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            return fn(*args, **kwargs)
        except SlmconvertError as exc:
            if _state["debug"]:
                raise
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; no partial output was left", 130)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if _state["debug"]:
                raise
            _fail(f"internal error ({type(exc).__name__}) — rerun with --debug", 1)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _print(renderables) -> None:
    from rich.console import Console

    console = Console()
    for item in renderables:
        console.print(item)


@app.command()
@guarded
def collect(
    inputs: Annotated[
        list[str], typer.Argument(help="Log files, directories, globs, or - for stdin.")
    ],
    output: Out,
    format: Annotated[
        str | None, typer.Option("--format", help=describe(CollectConfig, "format"))
    ] = None,
    max_bad_ratio: Annotated[
        float, typer.Option(help=describe(CollectConfig, "max_bad_ratio"))
    ] = 0.5,
    dedup: Annotated[bool, typer.Option(help=describe(CollectConfig, "dedup"))] = True,
    workers: Annotated[int, typer.Option(help=describe(CollectConfig, "workers"))] = 0,
    force: Force = False,
) -> None:
    """Read agent logs (nine formats, auto-detected) into canonical records."""
    from slmconvert import summaries
    from slmconvert.config import build
    from slmconvert.progress import RichProgress
    from slmconvert.stages import collect as stage

    config = build(
        CollectConfig,
        {"format": format, "max_bad_ratio": max_bad_ratio, "dedup": dedup, "workers": workers},
    )
    result = stage.run(inputs, output, config, force=force, progress=RichProgress())
    _print(summaries.collect(result))
    skipped = result.counts["bad"]
    if skipped:
        typer.echo(
            f"warning: skipped {skipped} malformed records; see bad_examples in "
            f"{result.output / 'manifest.json'}",
            err=True,
        )


def _recognizer(spec: str) -> dict:
    entity, sep, regex = spec.partition("=")
    if not sep or not entity or not regex:
        from slmconvert.errors import ConfigError

        raise ConfigError("--recognizer: expected ENTITY=REGEX, e.g. CUSTOMER_ID='CUST-\\d{6}'")
    return {"entity": entity.strip(), "regex": regex, "score": 0.9}


@app.command()
@guarded
def pii(
    input: Annotated[Path, typer.Argument(help="A collect stage directory.")],
    output: Out,
    mode: Annotated[str, typer.Option(help=describe(PiiConfig, "mode"))] = "placeholder",
    entities: Annotated[
        str | None, typer.Option(help=describe(PiiConfig, "entities") + " Comma-separated.")
    ] = None,
    drop_entities: Annotated[
        str | None, typer.Option(help=describe(PiiConfig, "drop_entities") + " Comma-separated.")
    ] = None,
    score_threshold: Annotated[
        float, typer.Option(help=describe(PiiConfig, "score_threshold"))
    ] = 0.5,
    allow: Annotated[
        list[str] | None, typer.Option(help=describe(PiiConfig, "allow_list") + " Repeatable.")
    ] = None,
    recognizer: Annotated[
        list[str] | None,
        typer.Option(help="Extra regex recognizer ENTITY=REGEX (score 0.9). Repeatable."),
    ] = None,
    spacy_model: Annotated[
        str | None, typer.Option(help=describe(PiiConfig, "spacy_model"))
    ] = None,
    workers: Annotated[int, typer.Option(help=describe(PiiConfig, "workers"))] = 0,
    seed: Annotated[int, typer.Option(help=describe(PiiConfig, "seed"))] = 0,
    force: Force = False,
) -> None:
    """Remove personal data and secrets from every string of every record (Presidio)."""
    from slmconvert import summaries
    from slmconvert.config import build
    from slmconvert.progress import RichProgress
    from slmconvert.stages import pii as stage

    def split(text):
        return [p.strip() for p in text.split(",") if p.strip()] if text else None

    config = build(
        PiiConfig,
        {
            "mode": mode,
            "entities": split(entities),
            "drop_entities": split(drop_entities),
            "score_threshold": score_threshold,
            "allow_list": allow or [],
            "recognizers": [_recognizer(r) for r in recognizer or []],
            "spacy_model": spacy_model,
            "workers": workers,
            "seed": seed,
        },
    )
    result = stage.run(input, output, config, force=force, progress=RichProgress())
    _print(summaries.pii(result))


@app.command()
@guarded
def cluster(
    input: Annotated[Path, typer.Argument(help="A pii (or collect) stage directory.")],
    output: Out,
    embedder: Annotated[
        str, typer.Option(help=describe(ClusterConfig, "embedder"))
    ] = "all-MiniLM-L6-v2",
    signature: Annotated[
        str, typer.Option(help=describe(ClusterConfig, "signature") + " Comma-separated.")
    ] = "answer_kind,tools,system,first_user",
    reduce: Annotated[str, typer.Option(help=describe(ClusterConfig, "reduce"))] = "pca",
    dims: Annotated[int, typer.Option(help=describe(ClusterConfig, "dims"))] = 15,
    min_cluster_size: Annotated[
        int, typer.Option(help=describe(ClusterConfig, "min_cluster_size"))
    ] = 0,
    assign_noise: Annotated[
        bool, typer.Option(help=describe(ClusterConfig, "assign_noise"))
    ] = False,
    noise_max_distance: Annotated[
        float, typer.Option(help=describe(ClusterConfig, "noise_max_distance"))
    ] = 0.35,
    eval_share: Annotated[float, typer.Option(help=describe(ClusterConfig, "eval_share"))] = 0.2,
    cache_dir: Annotated[
        str | None, typer.Option(help=describe(ClusterConfig, "cache_dir"))
    ] = None,
    no_cache: Annotated[bool, typer.Option(help=describe(ClusterConfig, "no_cache"))] = False,
    seed: Annotated[int, typer.Option(help=describe(ClusterConfig, "seed"))] = 0,
    allow_unscrubbed: Annotated[
        bool, typer.Option(help=describe(ClusterConfig, "allow_unscrubbed"))
    ] = False,
    force: Force = False,
) -> None:
    """Group calls into recurring task types (embeddings + HDBSCAN) and split train/eval."""
    from slmconvert import summaries
    from slmconvert.config import build
    from slmconvert.progress import RichProgress
    from slmconvert.stages import cluster as stage

    config = build(
        ClusterConfig,
        {
            "embedder": embedder,
            "signature": [p.strip() for p in signature.split(",") if p.strip()],
            "reduce": reduce,
            "dims": dims,
            "min_cluster_size": min_cluster_size,
            "assign_noise": assign_noise,
            "noise_max_distance": noise_max_distance,
            "eval_share": eval_share,
            "cache_dir": cache_dir,
            "no_cache": no_cache,
            "seed": seed,
            "allow_unscrubbed": allow_unscrubbed,
        },
    )
    result = stage.run(input, output, config, force=force, progress=RichProgress())
    _print(summaries.cluster(result))


def _select_help(name: str) -> str:
    from slmconvert.config import SelectConfig

    return describe(SelectConfig, name)


@app.command()
@guarded
def select(
    input: Annotated[Path, typer.Argument(help="A cluster stage directory.")],
    output: Out,
    catalog: Annotated[Path | None, typer.Option("--catalog", help=_select_help("catalog"))] = None,
    max_params: Annotated[
        float | None, typer.Option("--max-params", help=_select_help("max_params"))
    ] = None,
    gpu_memory_gb: Annotated[
        float | None, typer.Option("--gpu-memory-gb", help=_select_help("gpu_memory_gb"))
    ] = None,
    licenses: Annotated[
        str | None, typer.Option("--licenses", help=_select_help("licenses") + " Comma-separated.")
    ] = None,
    models: Annotated[
        str | None, typer.Option("--models", help=_select_help("models") + " Comma-separated.")
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", help=_select_help("top_k"))] = 3,
    min_records: Annotated[int, typer.Option(help=_select_help("min_records"))] = 50,
    include_test_models: Annotated[
        bool, typer.Option(help=_select_help("include_test_models"))
    ] = False,
    allow_unscrubbed: Annotated[bool, typer.Option(help=_select_help("allow_unscrubbed"))] = False,
    force: Force = False,
) -> None:
    """Choose small models per task cluster by context, tools, languages, licence and memory."""
    from slmconvert.catalog import render
    from slmconvert.config import SelectConfig, build
    from slmconvert.stages import select as stage

    config = build(
        SelectConfig,
        {
            "catalog": str(catalog) if catalog else None,
            "max_params": max_params,
            "gpu_memory_gb": gpu_memory_gb,
            "licenses": [licenses] if licenses is not None else None,
            "models": [models] if models is not None else None,
            "top_k": top_k,
            "min_records": min_records,
            "include_test_models": include_test_models,
            "allow_unscrubbed": allow_unscrubbed,
        },
    )
    result = stage.run(input, output, config, force=force)
    _print(render.select(result))


@app.command("run")
@guarded
def run_recipe(
    recipe: Annotated[Path, typer.Argument(help="A recipe YAML file (see recipes/README.md).")],
    start: Annotated[
        str | None, typer.Option("--from", help="Rerun from this stage on, even if cached.")
    ] = None,
    stop: Annotated[str | None, typer.Option("--to", help="Stop after this stage.")] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting: STAGE.KEY=VALUE (YAML). Repeatable."),
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Work directory instead of the recipe's.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rerun every stage.")] = False,
) -> None:
    """Run a recipe's stages in order into WORKDIR/NN_<stage>/, skipping cached ones."""
    from rich.table import Table

    from slmconvert import recipe as recipes
    from slmconvert.progress import RichProgress
    from slmconvert.stagedir import StageResult
    from slmconvert.stages import run as stage

    loaded = recipes.load(recipe, overrides or [])
    summary = stage.run(
        loaded,
        workdir=workdir,
        start=start,
        stop=stop,
        force=force,
        log=lambda line: typer.echo(line, err=True),
        progress=RichProgress(),
    )
    table = Table("stage", "status", "seconds", "counts", title=str(summary.workdir))
    for item in summary.stages:
        counts = ", ".join(f"{k} {v}" for k, v in list(item.counts.items())[:4])
        table.add_row(item.stage, item.status, f"{item.seconds:.1f}", counts)
    _print([table])
    deployed = next((item for item in summary.stages if item.stage == "deploy"), None)
    if deployed is not None:
        from slmconvert.deploy.render import summary as rollout
        from slmconvert.stagedir import open_input

        done = open_input(deployed.output, expect=("deploy",))
        _print(rollout(StageResult(done.path, done.manifest)))
    if summary.report:
        typer.echo(f"report: {summary.report}")
    for note in summary.notes:
        typer.echo(note, err=True)


@app.command("report")
@guarded
def report_page(
    workdir: Annotated[Path, typer.Argument(help="A run's work directory (holds its stages).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="HTML file (default WORKDIR/report.html).")
    ] = None,
) -> None:
    """Write one self-contained HTML page: clusters, models, eval, rollout and savings."""
    from slmconvert.report import write_report

    typer.echo(f"report: {write_report(workdir, output)}")


@app.command("inspect")
@guarded
def inspect_stage(
    directory: Annotated[Path, typer.Argument(help="A stage directory (has a manifest.json).")],
) -> None:
    """Summarise a stage directory's manifest: what made it, counts, metrics, warnings."""
    from slmconvert.inspection import describe

    _print(describe(directory))


def _help(model, name: str) -> str:
    """A setting's help text with its default, from the config model."""
    field = model.model_fields[name]
    default = field.default
    shown = ",".join(map(str, default)) if isinstance(default, list) else default
    return f"{field.description} (default: {shown})"


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


def _log(line: str) -> None:
    typer.echo(line, err=True)


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
