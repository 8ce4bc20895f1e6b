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
from slmconvert.config import CollectConfig, describe
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
        signal.signal(signal.SIGTERM, _raise_interrupt)
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
    force: Force = False,
) -> None:
    """Read agent logs (nine formats, auto-detected) into canonical records."""
    from slmconvert import summaries
    from slmconvert.config import build
    from slmconvert.progress import RichProgress
    from slmconvert.stages import collect as stage

    config = build(
        CollectConfig, {"format": format, "max_bad_ratio": max_bad_ratio, "dedup": dedup}
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
