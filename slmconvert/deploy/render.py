"""Terminal summary of a `deploy` result, as rich renderables the CLI prints."""

from __future__ import annotations

import orjson
from rich.table import Table

from slmconvert.core.stagedir import StageResult

_STYLE = {"promote": "green", "hold": "yellow", "stay_on_llm": "dim"}


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:,.4f}"


def _gate(gate: dict | None) -> str:
    if gate is None:
        return ""
    if gate["wilson_low"] is None:
        return f"{gate['metric']} missing"
    sign = "≥" if gate["passed"] else "<"
    return (
        f"{gate['metric']} {gate['wilson_low']:.3f} {sign} {gate['threshold']:g} "
        f"({gate['k']}/{gate['n']})"
    )


def _monthly(block: dict) -> str:
    monthly = block.get("monthly")
    return _usd(monthly["saving_usd"]) if monthly else "—"


def summary(result: StageResult) -> list:
    """Per cluster: decision, gate numbers and savings; then totals and where the configs are."""
    doc = orjson.loads((result.output / "rollout.json").read_bytes())
    table = Table(title=f"deploy → {result.output}", title_justify="left")
    for name, justify in (
        ("cluster", "left"),
        ("decision", "left"),
        ("gate (Wilson low ≥ threshold, k/n)", "left"),
        ("model", "left"),
        ("calls", "right"),
        ("LLM cost", "right"),
        ("SLM cost", "right"),
        ("saving", "right"),
        ("per month", "right"),
    ):
        table.add_column(name, justify=justify)
    for entry in doc["clusters"]:
        label = entry["label"] or ("noise" if entry["id"] == -1 else "")
        style = _STYLE[entry["decision"]]
        block = entry["savings"]
        table.add_row(
            f"{entry['id']} {label[:40]}".strip(),
            f"[{style}]{entry['decision'].replace('_', ' ')}[/{style}]",
            _gate(entry["gate"]) or entry["reason"][:60],
            entry["model"] or "",
            f"{block['calls']:,}",
            _usd(block["llm_cost_usd"]),
            _usd(block["slm_cost_usd"]),
            _usd(block["saving_usd"]),
            _monthly(block),
        )
    totals = Table(show_header=False, box=None)
    totals.add_column("")
    totals.add_column("", justify="right")
    sums = doc["savings"]
    for name, key in (
        ("promoted", "promoted"),
        ("if every held cluster passed", "if_all_held_promoted"),
    ):
        block = sums[key]
        share = "" if block["saving_share"] is None else f" ({block['saving_share']:.0%})"
        totals.add_row(
            f"saving, {name} ({block['clusters']} clusters, {block['calls']:,} calls)",
            f"{_usd(block['saving_usd'])}{share}, {_monthly(block)} per month",
        )
    period = sums["period"]
    if period["note"]:
        totals.add_row("period", period["note"])
    else:
        totals.add_row("period", f"{period['days']:.1f} days logged")
    footer = (
        f"manifest {result.output / 'rollout.yaml'}; serve with {result.output / 'serve/vllm.sh'} "
        f"and {result.output / 'serve/litellm.yaml'}; reasons per cluster in the manifest"
    )
    return [table, totals, footer]
