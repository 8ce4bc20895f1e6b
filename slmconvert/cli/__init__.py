"""The `slmconvert` command line: options → a stage function → a summary.

This package is the only code that prints, exits, or sets up logging. The app and its error
handling live here; the commands, by group, in `data` (collect, pii, cluster, select), `models`
(make-tiny-model, finetune, eval, deploy) and `pipeline` (run, report, inspect). Stage modules
are imported inside the commands so `slmconvert --help` stays instant.
"""

from __future__ import annotations

import functools
import signal
from pathlib import Path
from typing import Annotated

import typer

from slmconvert import __version__
from slmconvert.core.errors import SlmconvertError

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
    _quiet_libraries()


def _quiet_libraries() -> None:
    """Keep the libraries' own progress bars and notices off the terminal; ours report progress."""
    import logging
    import os

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)


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


def setting(model, name: str, *flags: str, suffix: str = ""):
    """A typer option for one setting of a stage's config model, with the setting's help."""
    from slmconvert.core.config import describe

    return typer.Option(*flags, help=describe(model, name) + suffix)


def default(model, name: str):
    """A setting's default as its flag takes it: lists comma-separated, maps as K=V,K=V."""
    value = model.model_fields[name].default
    if isinstance(value, list):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return value


def split(text: str | None) -> list[str] | None:
    """A comma-separated flag value as a list (None stays None)."""
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


def pairs(flag: str, text: str | None) -> dict[str, float] | None:
    """A K=V,K=V flag value as a map of numbers."""
    from slmconvert.core.errors import ConfigError

    if text is None:
        return None
    found = {}
    for item in split(text):
        key, sep, number = item.partition("=")
        try:
            found[key.strip()] = float(number)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ConfigError(f"{flag}: expected NAME=NUMBER pairs, e.g. tools=2,system=1")
    return found


def _log(line: str) -> None:
    typer.echo(line, err=True)


# the commands register themselves on `app` when imported
from slmconvert.cli import data, gateway, models, pipeline  # noqa: E402, F401
