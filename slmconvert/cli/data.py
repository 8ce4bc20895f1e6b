"""Commands that turn logs into clustered, scrubbed records: collect, pii, cluster, select."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmconvert.cli import Force, Out, _print, app, guarded
from slmconvert.config import (
    ClusterConfig,
    CollectConfig,
    PiiConfig,
    describe,
)


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
    from slmconvert.parsing import skip_pandas_import
    from slmconvert.progress import RichProgress
    from slmconvert.stages import collect as stage

    skip_pandas_import()
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
