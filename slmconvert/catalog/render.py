"""Terminal summary of a `select` result, as rich renderables the CLI prints."""

from __future__ import annotations

from collections import Counter

import orjson
from rich.table import Table

from slmconvert.core.stagedir import StageResult

_KINDS = (
    ("test-only", "test-only"),
    ("context", "context"),
    ("licence", "licence"),
    ("--max-params", "size"),
    ("--gpu-memory-gb", "memory"),
    ("tool calling", "tools"),
    ("does not list", "language"),
    ("--models", "not allowed"),
)


def _kind(reason: str) -> str:
    for needle, kind in _KINDS:
        if needle in reason:
            return kind
    return "other"


def rejected_summary(rejected: list[dict]) -> str:
    """Rejections counted by kind, e.g. ``context 3, licence 2`` (empty when none)."""
    kinds = Counter(_kind(r) for entry in rejected for r in entry["reasons"])
    return ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())


def _needs(req: dict) -> str:
    ctx = req["context_tokens"]
    parts = [f"ctx p95 {ctx['p95']:,}{'~' if req['tokens_estimated'] else ''}"]
    if req["tool_calling"]:
        parts.append(f"tools {req['tool_call_share']:.0%}")
    if req["structured_output"]:
        parts.append("json")
    if req["required_languages"]:
        parts.append("/".join(req["required_languages"]))
    parts.append(req["complexity"]["level"])
    return ", ".join(parts)


def select(result: StageResult) -> list:
    """Per cluster: needs, ranked candidates with memory and cost, rejections by kind."""
    doc = orjson.loads((result.output / "selection.json").read_bytes())
    table = Table(title=f"select → {result.output}", title_justify="left")
    for name, justify in (
        ("cluster", "left"),
        ("calls", "right"),
        ("needs", "left"),
        ("candidate", "left"),
        ("params", "right"),
        ("train GB", "right"),
        ("4-bit GB", "right"),
        ("$/Mtok", "right"),
        ("rejected", "left"),
    ):
        table.add_column(name, justify=justify)
    for entry in doc["clusters"]:
        req = entry["requirements"]
        label = entry["label"] or ("noise" if entry["id"] == -1 else "")
        name = f"{entry['id']} {label}".strip()
        first = [name, f"{req['records']:,}", _needs(req)]
        rejected = rejected_summary(entry.get("rejected", []))
        if not entry["candidates"]:
            stays = f"[yellow]stays on LLM[/yellow]: {entry['reason']}"
            table.add_row(*first, stays, "", "", "", "", rejected)
        for i, cand in enumerate(entry["candidates"]):
            note = " *" if cand["notes"] else ""
            table.add_row(
                *(first if i == 0 else ["", "", ""]),
                f"{cand['rank']}. {cand['model']}{note}",
                f"{cand['params_b']:g}B",
                f"{cand['train_memory_gb']:.1f}",
                f"{cand['inference_4bit_gb']:.1f}",
                f"{cand['serving_usd_per_mtok']:.3f}",
                rejected if i == 0 else "",
            )
        table.add_section()
    counts = result.counts
    totals = Table(show_header=False, box=None)
    totals.add_column("")
    totals.add_column("", justify="right")
    totals.add_row("clusters with candidates", f"{counts['clusters_with_candidates']:,}")
    totals.add_row("clusters staying on the LLM", f"{counts['stays_on_llm']:,}")
    totals.add_row("noise calls (stay on the LLM)", f"{counts['noise_records']:,}")
    share = result.metrics.get("share_of_records_specialisable", 0)
    totals.add_row("share of calls a small model could take", f"{share:.0%}")
    footer = (
        "~ token counts estimated from characters; * see notes in selection.json; "
        f"reasons per model in {result.output / 'selection.json'}"
    )
    return [table, totals, footer]
