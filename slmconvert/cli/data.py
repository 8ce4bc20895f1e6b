"""Commands that turn logs into clustered, scrubbed records: collect, pii, cluster, select."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmconvert.cli import Force, Out, _log, _print, app, default, guarded, pairs, setting, split
from slmconvert.core.config import ClusterConfig, CollectConfig, PiiConfig, SelectConfig
from slmconvert.stages import registry

C, P, K, S = CollectConfig, PiiConfig, ClusterConfig, SelectConfig
LIST = " Comma-separated."


@app.command()
@guarded
def collect(
    inputs: Annotated[
        list[str], typer.Argument(help="Log files, directories, globs, or - for stdin.")
    ],
    output: Out,
    format: Annotated[str | None, setting(C, "format", "--format")] = default(C, "format"),
    max_bad_ratio: Annotated[float, setting(C, "max_bad_ratio")] = default(C, "max_bad_ratio"),
    dedup: Annotated[bool, setting(C, "dedup")] = default(C, "dedup"),
    shard_rows: Annotated[int, setting(C, "shard_rows")] = default(C, "shard_rows"),
    workers: Annotated[int, setting(C, "workers")] = default(C, "workers"),
    engine: Annotated[str, setting(C, "engine")] = default(C, "engine"),
    ray_address: Annotated[str | None, setting(C, "ray_address")] = default(C, "ray_address"),
    seed: Annotated[int, setting(C, "seed")] = default(C, "seed"),
    force: Force = False,
) -> None:
    """Read agent logs (thirteen formats, auto-detected) into canonical records."""
    from slmconvert.core.config import build
    from slmconvert.core.progress import RichProgress
    from slmconvert.formats.parsing import skip_pandas_import
    from slmconvert.stages import collect as stage

    if engine == "local":  # Ray Data needs pandas
        skip_pandas_import()
    config = build(
        CollectConfig,
        {
            "format": format,
            "max_bad_ratio": max_bad_ratio,
            "dedup": dedup,
            "shard_rows": shard_rows,
            "workers": workers,
            "engine": engine,
            "ray_address": ray_address,
            "seed": seed,
        },
    )
    result = stage.run(inputs, output, config, force=force, progress=RichProgress(), log=_log)
    _print(registry.get("collect").summarise(result))
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
        from slmconvert.core.errors import ConfigError

        raise ConfigError("--recognizer: expected ENTITY=REGEX, e.g. CUSTOMER_ID='CUST-\\d{6}'")
    return {"entity": entity.strip(), "regex": regex, "score": 0.9}


@app.command()
@guarded
def pii(
    input: Annotated[Path, typer.Argument(help="A collect stage directory.")],
    output: Out,
    mode: Annotated[str, setting(P, "mode")] = default(P, "mode"),
    entities: Annotated[str | None, setting(P, "entities", suffix=LIST)] = default(P, "entities"),
    drop_entities: Annotated[str | None, setting(P, "drop_entities", suffix=LIST)] = default(
        P, "drop_entities"
    ),
    score_threshold: Annotated[float, setting(P, "score_threshold")] = default(
        P, "score_threshold"
    ),
    allow: Annotated[
        list[str] | None, setting(P, "allow_list", "--allow", suffix=" Repeatable.")
    ] = None,
    recognizer: Annotated[
        list[str] | None,
        setting(
            P, "recognizers", "--recognizer", suffix=" As ENTITY=REGEX (score 0.9); repeatable."
        ),
    ] = None,
    spacy_model: Annotated[str | None, setting(P, "spacy_model")] = default(P, "spacy_model"),
    workers: Annotated[int, setting(P, "workers")] = default(P, "workers"),
    batch_size: Annotated[int, setting(P, "batch_size")] = default(P, "batch_size"),
    seed: Annotated[int, setting(P, "seed")] = default(P, "seed"),
    gazetteers: Annotated[str, setting(P, "gazetteers", suffix=LIST)] = default(P, "gazetteers"),
    engine: Annotated[str, setting(P, "engine")] = default(P, "engine"),
    ray_address: Annotated[str | None, setting(P, "ray_address")] = default(P, "ray_address"),
    force: Force = False,
) -> None:
    """Remove personal data and secrets from every string of every record (Presidio)."""
    from slmconvert.core.config import build
    from slmconvert.core.progress import RichProgress
    from slmconvert.stages import pii as stage

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
            "batch_size": batch_size,
            "seed": seed,
            "gazetteers": split(gazetteers) or [],
            "engine": engine,
            "ray_address": ray_address,
        },
    )
    result = stage.run(input, output, config, force=force, progress=RichProgress(), log=_log)
    _print(registry.get("pii").summarise(result))


def _removed_flag(*flags: str):
    return typer.Option(*flags, hidden=True, help="Removed; naming it says what replaced it.")


@app.command()
@guarded
def cluster(
    input: Annotated[Path, typer.Argument(help="A pii (or collect) stage directory.")],
    output: Out,
    signature: Annotated[str, setting(K, "signature", suffix=LIST)] = default(K, "signature"),
    signature_weights: Annotated[
        str, setting(K, "signature_weights", suffix=" As PART=WEIGHT,PART=WEIGHT.")
    ] = default(K, "signature_weights"),
    signature_chars: Annotated[int, setting(K, "signature_chars")] = default(K, "signature_chars"),
    embedder: Annotated[str, setting(K, "embedder")] = default(K, "embedder"),
    cache_dir: Annotated[str | None, setting(K, "cache_dir")] = default(K, "cache_dir"),
    no_cache: Annotated[bool, setting(K, "no_cache")] = default(K, "no_cache"),
    batch_size: Annotated[int, setting(K, "batch_size")] = default(K, "batch_size"),
    engine: Annotated[str, setting(K, "engine")] = default(K, "engine"),
    ray_address: Annotated[str | None, setting(K, "ray_address")] = default(K, "ray_address"),
    workers: Annotated[int, setting(K, "workers")] = default(K, "workers"),
    node_distance: Annotated[float, setting(K, "node_distance")] = default(K, "node_distance"),
    min_cluster_size: Annotated[int, setting(K, "min_cluster_size")] = default(
        K, "min_cluster_size"
    ),
    min_samples: Annotated[int, setting(K, "min_samples")] = default(K, "min_samples"),
    dims: Annotated[int, setting(K, "dims")] = default(K, "dims"),
    subtask_min_share: Annotated[float, setting(K, "subtask_min_share")] = default(
        K, "subtask_min_share"
    ),
    subtask_separation: Annotated[float, setting(K, "subtask_separation")] = default(
        K, "subtask_separation"
    ),
    previous: Annotated[str | None, setting(K, "previous")] = default(K, "previous"),
    eval_share: Annotated[float, setting(K, "eval_share")] = default(K, "eval_share"),
    min_eval: Annotated[int, setting(K, "min_eval")] = default(K, "min_eval"),
    max_eval: Annotated[int, setting(K, "max_eval")] = default(K, "max_eval"),
    seed: Annotated[int, setting(K, "seed")] = default(K, "seed"),
    allow_unscrubbed: Annotated[bool, setting(K, "allow_unscrubbed")] = default(
        K, "allow_unscrubbed"
    ),
    assign_noise: Annotated[bool | None, _removed_flag("--assign-noise")] = None,
    noise_max_distance: Annotated[float | None, _removed_flag("--noise-max-distance")] = None,
    reduce: Annotated[str | None, _removed_flag("--reduce")] = None,
    force: Force = False,
) -> None:
    """Group calls into the fleet's task types from the request alone; write the router."""
    from slmconvert.core.config import build
    from slmconvert.core.progress import RichProgress
    from slmconvert.stages import cluster as stage

    values = dict(locals())
    values["signature"] = split(signature)
    values["signature_weights"] = pairs("--signature-weights", signature_weights)
    removed = {"assign_noise": assign_noise, "noise_max_distance": noise_max_distance}
    config = build(
        ClusterConfig,
        {k: v for k, v in values.items() if k in K.model_fields} | removed | {"reduce": reduce},
    )
    result = stage.run(input, output, config, force=force, progress=RichProgress(), log=_log)
    _print(registry.get("cluster").summarise(result))


@app.command()
@guarded
def select(
    input: Annotated[Path, typer.Argument(help="A cluster stage directory.")],
    output: Out,
    catalog: Annotated[Path | None, setting(S, "catalog")] = default(S, "catalog"),
    max_params: Annotated[float | None, setting(S, "max_params")] = default(S, "max_params"),
    gpu_memory_gb: Annotated[float | None, setting(S, "gpu_memory_gb")] = default(
        S, "gpu_memory_gb"
    ),
    licenses: Annotated[str | None, setting(S, "licenses", suffix=LIST)] = default(S, "licenses"),
    models: Annotated[str | None, setting(S, "models", suffix=LIST)] = default(S, "models"),
    top_k: Annotated[int, setting(S, "top_k")] = default(S, "top_k"),
    min_records: Annotated[int, setting(S, "min_records")] = default(S, "min_records"),
    include_test_models: Annotated[bool, setting(S, "include_test_models")] = default(
        S, "include_test_models"
    ),
    train_seq_len: Annotated[int, setting(S, "train_seq_len")] = default(S, "train_seq_len"),
    train_batch_size: Annotated[int, setting(S, "train_batch_size")] = default(
        S, "train_batch_size"
    ),
    lora_r: Annotated[int, setting(S, "lora_r")] = default(S, "lora_r"),
    seed: Annotated[int, setting(S, "seed")] = default(S, "seed"),
    allow_unscrubbed: Annotated[bool, setting(S, "allow_unscrubbed")] = default(
        S, "allow_unscrubbed"
    ),
    force: Force = False,
) -> None:
    """Choose small models per task cluster by context, tools, languages, licence and memory."""
    from slmconvert.core.config import build
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
            "train_seq_len": train_seq_len,
            "train_batch_size": train_batch_size,
            "lora_r": lora_r,
            "seed": seed,
            "allow_unscrubbed": allow_unscrubbed,
        },
    )
    result = stage.run(input, output, config, force=force)
    _print(registry.get("select").summarise(result))
