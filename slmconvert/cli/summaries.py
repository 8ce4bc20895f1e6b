"""Terminal summaries of stage results, as rich renderables the CLI prints."""

from __future__ import annotations

from rich.table import Table

from slmconvert.core.stagedir import StageResult


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
        # a kept call whose log lacked part of its prompt is counted with the ignored, as a note
        kind = "note" if reason.startswith("partial prompt kept") else "ignored"
        totals.add_row(f"{kind}: {reason}", f"{n:,}")
    if counts.get("with_media"):
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in counts["media_by_kind"].items())
        totals.add_row("calls with media (kept)", f"{counts['with_media']:,} ({kinds})")
    if counts.get("provider_tool_calls"):
        totals.add_row("provider-run tool calls", f"{counts['provider_tool_calls']:,}")
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


def _savings_key(cluster: dict) -> float:
    # what moving a cluster to an SLM saves: its cost share when costs are logged, else traffic
    if cluster.get("cost_share") is not None:
        return cluster["cost_share"]
    return cluster["share"] * (cluster["input_tokens"]["p50"] + cluster["output_tokens"]["p50"])


def cluster(result: StageResult) -> list:
    """Clusters sorted by what moving them to an SLM saves (cost share, else traffic)."""
    import orjson

    doc = orjson.loads((result.output / "clusters.json").read_bytes())
    counts = result.counts
    table = _table(
        f"cluster → {result.output}  ({counts['records']:,} calls, "
        f"{counts['nodes']:,} agent nodes, {counts['distinct_structures']:,} distinct structures)",
        "id",
        "label",
        "calls",
        "share",
        "cost share",
        "tokens in/out p50",
        "tool calls",
    )
    for c in sorted(doc["clusters"], key=_savings_key, reverse=True):
        cost = "—" if c["cost_share"] is None else f"{c['cost_share']:.1%}"
        table.add_row(
            str(c["id"]),
            c["label"][:60],
            f"{c['size']:,}",
            f"{c['share']:.1%}",
            cost,
            f"{c['input_tokens']['p50']:,}/{c['output_tokens']['p50']:,}",
            f"{c['tool_call_share']:.0%}",
        )
    noise = doc["noise"]
    noise_cost = noise.get("cost_share")
    table.add_row(
        "-1",
        "noise: stays on the LLM",
        f"{noise['size']:,}",
        f"{noise['share']:.1%}",
        "—" if noise_cost is None else f"{noise_cost:.1%}",
        "",
        "",
    )
    ids = result.manifest.get("cluster_ids") or {}
    note = (
        f"train {counts['train']:,} / eval {counts['eval']:,} · router agreement with these "
        f"labels {result.metrics.get('router_agreement', 0):.1%} · router: "
        f"{result.output / 'router'} · map: {result.output / 'clusters.png'}"
    )
    if ids:
        note += f"\nids kept {ids.get('kept', [])}, new {ids.get('new', [])}, gone {ids.get('gone', [])}"
    return [table, note]


def pii(result: StageResult) -> list:
    """Findings per entity type and location, records touched/dropped, and NER state."""
    counts, info = result.counts, result.manifest.get("pii", {})
    table = _table(f"pii → {result.output}  (mode {info.get('mode')})", "entity type", "found")
    for entity, n in sorted(counts["entities"].items(), key=lambda kv: -kv[1]):
        table.add_row(entity, f"{n:,}")
    places = _table("", "location", "found")
    for location, n in counts["locations"].items():
        places.add_row(location, f"{n:,}")
    totals = _table("", "", "")
    totals.show_header = False
    totals.add_row("records in", f"{counts['records_in']:,}")
    totals.add_row("records touched", f"{counts['records_touched']:,}")
    totals.add_row("records dropped", f"{counts['records_dropped']:,}")
    totals.add_row("duplicates after scrubbing", f"{counts['duplicates_after_scrub']:,}")
    totals.add_row("records out", f"{counts['records']:,}")
    totals.add_row("NER", "on (" + info.get("spacy_model", "") + ")" if info.get("ner") else "off")
    return [table, places, totals, _detectors(info), *[f"warning: {w}" for w in result.warnings]]


def _detectors(info: dict):
    """Which detectors ran per entity type, and their recall on the labelled corpus."""
    source = info.get("measured_with") or {}
    title = "detectors" + (f" (recall measured by {source.get('by')}, NER off)" if source else "")
    table = _table(title, "entity type", "detectors", "measured recall")
    for row in info.get("detectors", []):
        recall = row.get("measured_recall") or {}
        shown = ", ".join(
            f"{k} {v:.2f}" for k, v in recall.items() if k in ("all", "latin", "other") and v == v
        )
        names = ", ".join(
            n.replace("Slmconvert", "").replace("Recognizer", "") for n in row["detectors"]
        )
        table.add_row(row["entity"], names, shown or "—")
    return table


def finetune(result: StageResult) -> list:
    """Per cluster: base model, method, examples, steps, loss first → last, speed, memory."""
    import orjson

    doc = orjson.loads((result.output / "finetune.json").read_bytes())
    table = _table(
        f"finetune → {result.output}",
        "cluster", "model", "method", "examples", "steps", "loss", "tokens/s", "peak MB", "time",
    )  # fmt: skip
    for c in doc["clusters"]:
        first = c["loss"][0][1] if c["loss"] else None
        loss = f"{first:.2f} → {c['final_loss']:.2f}" if first is not None else "—"
        table.add_row(
            str(c["id"]), c["model"], c["method"] + (" (reused)" if c.get("reused") else ""),
            f"{c['examples']:,}", str(c["steps"]), loss, f"{c['tokens_per_s']:,.0f}",
            f"{c['peak_memory_mb']:,.0f}", f"{c['wall_s']:.0f} s",
        )  # fmt: skip
    out: list = [table]
    if doc.get("skipped"):
        skipped = _table("not trained", "cluster", "reason")
        for s in doc["skipped"]:
            skipped.add_row(str(s["id"]), s["reason"])
        out.append(skipped)
    return out


EVAL_ROWS = (
    ("valid_output", "valid output"),
    ("schema_valid", "schema-valid calls"),
    ("function_name_accuracy", "function name"),
    ("arguments_exact", "arguments, exact"),
    ("tool_call_match", "tool call match"),
    ("text_rouge_l", "ROUGE-L"),
    ("text_similarity_match", "text meaning match"),
)


def _figure(metric: dict | None) -> str:
    if not metric:
        return "—"
    if "rate" in metric:
        return f"{metric['rate']:.2f} (≥{metric['wilson_low']:.2f})"
    return f"{metric['mean']:.2f}" if metric.get("mean") is not None else "—"


def evaluation(result: StageResult) -> list:
    """Cluster × metric, before → after (rate and its Wilson 95% lower bound)."""
    import orjson

    doc = orjson.loads((result.output / "eval.json").read_bytes())
    scg = doc["settings"].get("samples", 1) > 1
    columns = ["cluster", "metric", "before", "after"] + (["SCG after"] if scg else [])
    table = _table(f"eval → {result.output}  (rate, ≥ Wilson 95% lower bound)", *columns)
    for c in doc["clusters"]:
        before, after = c.get("before") or {}, c.get("after") or {}
        first = True
        for key, name in EVAL_ROWS:
            if key not in after:
                continue
            row = [f"{c['id']} ({c['records']} calls)" if first else "", name]
            row += [_figure(before.get(key)), _figure(after.get(key))]
            if scg:
                row.append(_figure(((c.get("scg") or {}).get("after") or {}).get(key)))
            table.add_row(*row)
            first = False
        table.add_section()
    return [table]
