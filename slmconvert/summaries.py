"""Terminal summaries of stage results, as rich renderables the CLI prints."""

from __future__ import annotations

from rich.table import Table

from slmconvert.stagedir import StageResult


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


def collect(result: StageResult) -> list:
    """Records per format, skipped by reason, duplicates, tokens and cost."""
    counts, metrics = result.counts, result.metrics
    formats = _table(f"collect → {result.output}", "format", "records")
    for name, n in counts["by_format"].items():
        formats.add_row(name, f"{n:,}")
    formats.add_row("[bold]total[/bold]", f"[bold]{counts['records']:,}[/bold]")
    totals = _table("", "", "")
    totals.show_header = False
    totals.add_row("duplicates dropped", f"{counts['duplicates']:,}")
    totals.add_row("malformed, skipped", f"{counts['bad']:,}")
    for reason, n in counts["ignored_by_reason"].items():
        totals.add_row(f"ignored: {reason}", f"{n:,}")
    totals.add_row("input tokens", f"{counts['input_tokens']:,}")
    totals.add_row("output tokens", f"{counts['output_tokens']:,}")
    cost = metrics.get("cost_usd")
    totals.add_row(
        "logged cost", f"${cost:,.2f} ({metrics['records_with_cost']:,} records)" if cost else "—"
    )
    out = [formats, totals]
    if counts["bad_by_reason"]:
        bad = _table("skipped by reason", "field: reason", "records")
        for reason, n in list(counts["bad_by_reason"].items())[:10]:
            bad.add_row(reason, f"{n:,}")
        out.append(bad)
    return out
