"""Commands over whole pipelines: run, report, inspect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmconvert.cli import _print, app, guarded


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

    from slmconvert.core.progress import RichProgress
    from slmconvert.core.stagedir import StageResult
    from slmconvert.stages import recipe as recipes
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
        from slmconvert.core.stagedir import open_input
        from slmconvert.deploy.render import summary as rollout

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
    from slmconvert.cli.inspection import describe

    _print(describe(directory))
