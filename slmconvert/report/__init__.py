"""`slmconvert report`: one self-contained HTML page about a run's work directory."""

from __future__ import annotations

import os
import time
from pathlib import Path

from slmconvert.report import html, sections
from slmconvert.report.collect import load

__all__ = ["write_report"]


def write_report(workdir: str | Path, output: str | Path | None = None) -> Path:
    """Write the HTML report of ``workdir``'s stages to ``output`` (default WORKDIR/report.html).

    Raises InputError when ``workdir`` holds no stage directories.
    """
    run = load(workdir)
    output = Path(output) if output else run.workdir / "report.html"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = html.page(
        "slmconvert report",
        f"{run.workdir} · {len(run.stages)} stages · written {when}",
        sections.all_sections(run),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)
    return output
