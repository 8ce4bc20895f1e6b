"""The report's sections, one function per stage output, each returning a titled block."""

from __future__ import annotations

from slmconvert.report import charts
from slmconvert.report.collect import Run
from slmconvert.report.html import (
    Num,
    Raw,
    details,
    esc,
    image,
    lines,
    not_run,
    num,
    pct,
    section,
    table,
    tag,
    usd,
)
from slmconvert.report.live import live
from slmconvert.stages import registry

CLUSTER_COLUMNS = "id|label|calls|share|cost share|tokens in/out p50|tool calls|keywords|tools"
FINETUNE_COLUMNS = "id|model|method|examples|steps|epochs|final loss|tokens/s|peak MB|wall s"
ROLLOUT_COLUMNS = "id|label|decision|model|gate metric|Wilson low|k/n|gate|reason"


def _counts(counts: dict) -> list[str]:
    """A manifest's counts as 'name: value' lines (nested counts on one line)."""
    out = []
    for key, value in counts.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {num(v)}" for k, v in value.items())
            out.append(f"{key}: {inner or '—'}")
        else:
            out.append(f"{key}: {num(value)}")
    return out


def stages(run: Run) -> tuple:
    """Which stages ran, when, with what counts and warnings."""
    rows = []
    for name in _stage_order(run):
        stage = run.stages.get(name)
        if stage is None:
            rows.append([name, "—", "not run yet", "", ""])
            continue
        m = stage.manifest
        rows.append(
            [
                name,
                f"{stage.path.name}/",
                m.get("finished_at", "—"),
                lines(_counts(m.get("counts", {}))),
                lines(m.get("warnings", [])),
            ]
        )
    parts = [table(["stage", "directory", "finished", "counts", "warnings"], rows)]
    parts += [tag("p", note, "muted") for note in run.notes]
    return section("stages", "Stages", parts)


def _stage_order(run: Run) -> list[str]:
    """The pipeline's stages, then any other stage found in the work directory."""
    known = registry.names()
    return [*known, *(s for s in run.stages if s not in known)]


def _decisions(run: Run) -> dict[int, str]:
    """Each cluster's latest decision: the rollout's, else the selection's."""
    for name in ("rollout.json", "selection.json"):
        doc = run.doc(name)
        if doc:
            return {c["id"]: c.get("decision", "") for c in doc.get("clusters", [])}
    return {}


def clusters(run: Run) -> tuple:
    """The cluster map and each cluster's size, cost share, tokens, keywords and tools."""
    doc = run.doc("clusters.json")
    if not doc:
        return section("clusters", "Clusters", [not_run("cluster")])
    found = doc.get("clusters", [])
    parts = []
    if found and run.centroids is not None:
        parts.append(
            image(charts.cluster_map(found, run.centroids, _decisions(run)), "cluster map")
        )
    rows = [
        [
            Num(c["id"]),
            c.get("label", ""),
            Num(num(c.get("size"))),
            Num(pct(c.get("share"))),
            Num(pct(c.get("cost_share"))),
            Num(f"{num(c['input_tokens']['p50'])} / {num(c['output_tokens']['p50'])}"),
            Num(pct(c.get("tool_call_share"), 0)),
            ", ".join(c.get("keywords", [])[:6]),
            ", ".join(c.get("tools", [])[:6]),
        ]
        for c in found
    ]
    noise = doc.get("noise") or {}
    rows.append(
        [
            "-1",
            "noise: stays on the LLM",
            Num(num(noise.get("size"))),
            Num(pct(noise.get("share"))),
            *[""] * 5,
        ]
    )
    parts.append(table(CLUSTER_COLUMNS.split("|"), rows))
    embedder = doc.get("embedder", {})
    parts.append(
        tag(
            "p",
            f"embedder {embedder.get('model', '—')}, signature "
            f"{', '.join(embedder.get('signature', [])) or '—'}",
            "muted",
        )
    )
    return section("clusters", "Clusters", parts)


def _requirements(req: dict) -> list[str]:
    complexity = req.get("complexity", {})
    context = req.get("context_tokens", {})
    return [
        f"{num(req.get('records'))} calls ({num(req.get('train_records'))} to train)",
        f"context p95 {num(context.get('p95'))} tokens",
        f"tool calling: {'yes' if req.get('tool_calling') else 'no'}"
        f"{', structured output' if req.get('structured_output') else ''}",
        f"languages: {', '.join(req.get('required_languages', [])) or '—'}",
        f"complexity: {complexity.get('level', '—')}",
    ]


def _candidate(c: dict) -> str:
    return (
        f"{c.get('rank', '')}. {c.get('model', c.get('name', ''))} ({num(c.get('params_b'), 2)}B, "
        f"train {num(c.get('train_memory_gb'), 1)} GB, "
        f"{usd(c.get('serving_usd_per_mtok'))}/Mtok)"
    )


def selection(run: Run) -> tuple:
    """Per cluster: its requirements, the decision, and the ranked candidate models."""
    doc = run.doc("selection.json")
    if not doc:
        return section("selection", "Requirements and models", [not_run("select")])
    rows = []
    for c in doc.get("clusters", []):
        rejected = [
            f"{r.get('model', r.get('name'))}: {'; '.join(r.get('reasons', []))}"
            for r in c.get("rejected", [])
        ]
        rows.append(
            [
                Num(c["id"]),
                c.get("label", ""),
                lines(_requirements(c.get("requirements", {}))),
                tag("span", c.get("decision", ""), c.get("decision", "")),
                c.get("reason", ""),
                lines([_candidate(m) for m in c.get("candidates", [])] or ["—"]),
                details(f"{len(rejected)} rejected", lines(rejected)) if rejected else "",
            ]
        )
    headers = ["id", "label", "requirements", "decision", "reason", "candidates", "rejected"]
    parts = [table(headers, rows)]
    serving = doc.get("assumptions", {}).get("serving", {})
    if serving:
        parts.append(
            tag(
                "p",
                f"serving cost assumes {serving.get('gpu', '—')} at "
                f"{usd(serving.get('gpu_hour_usd'))}/hour",
                "muted",
            )
        )
    return section("selection", "Requirements and models", parts)


def finetune(run: Run) -> tuple:
    """Loss curves and each fine-tuning run's size, speed and memory."""
    doc = run.doc("finetune.json")
    if not doc:
        return section("finetune", "Fine-tuning", [not_run("finetune")])
    found = doc.get("clusters", [])
    parts = []
    curves = charts.loss_curves(found)
    if curves:
        parts.append(image(curves, "loss curves"))
    rows = [
        [
            Num(c["id"]),
            c.get("model", ""),
            c.get("method", ""),
            Num(num(c.get("examples"))),
            Num(num(c.get("steps"))),
            Num(num(c.get("epochs"), 1)),
            Num(num(c.get("final_loss"), 3)),
            Num(num(c.get("tokens_per_s"))),
            Num(num(c.get("peak_memory_mb"))),
            Num(num(c.get("wall_s"), 1)),
        ]
        for c in found
    ]
    parts.append(table(FINETUNE_COLUMNS.split("|"), rows))
    skipped = [f"cluster {s.get('id')}: {s.get('reason', '')}" for s in doc.get("skipped", [])]
    if skipped:
        parts.append(Raw(f'<p class="muted">not fine-tuned:<br>{lines(skipped)}</p>'))
    return section("finetune", "Fine-tuning", parts)


def metric_text(value: object) -> str:
    """A METRICS entry for people: rate with k/n, mean, or latency percentiles."""
    if not isinstance(value, dict):
        return "—"
    if "rate" in value:
        return f"{pct(value['rate'])} ({num(value.get('k'))}/{num(value.get('n'))})"
    if "mean" in value:
        return num(value["mean"], 3)
    if "p50" in value:
        return f"p50 {num(value['p50'])} / p95 {num(value.get('p95'))}"
    return "—"


def _delta(before: object, after: object) -> str:
    for key, scale, unit in (("rate", 100, " pt"), ("mean", 1, "")):
        if isinstance(before, dict) and isinstance(after, dict) and key in before and key in after:
            return f"{(after[key] - before[key]) * scale:+.{1 if unit else 3}f}{unit}"
    return ""


def evaluation(run: Run) -> tuple:
    """Held-out scores before and after fine-tuning, per cluster and metric."""
    doc = run.doc("eval.json")
    if not doc:
        return section("eval", "Evaluation", [not_run("eval")])
    found = doc.get("clusters", [])
    parts = []
    bars = charts.eval_bars(found)
    if bars:
        parts.append(image(bars, "eval before and after"))
    rows = []
    for c in found:
        before, after = c.get("before") or {}, c.get("after") or {}
        for name, value in after.items():
            low = value.get("wilson_low") if isinstance(value, dict) else None
            rows.append(
                [
                    Num(c["id"]),
                    c.get("model", ""),
                    name,
                    Num(metric_text(before.get(name))),
                    Num(metric_text(value)),
                    Num(_delta(before.get(name), value)),
                    Num(pct(low)),
                ]
            )
    headers = ["id", "model", "metric", "before", "after", "change", "after, Wilson low"]
    parts.append(table(headers, rows))
    for c in found:
        examples = c.get("examples") or []
        if examples:
            body = "".join(
                f"<p><b>reference</b></p><pre>{esc(e.get('reference'))}</pre>"
                f"<p><b>before</b></p><pre>{esc(e.get('before'))}</pre>"
                f"<p><b>after</b></p><pre>{esc(e.get('after'))}</pre>"
                for e in examples
            )
            parts.append(details(f"cluster {c['id']}: {len(examples)} example answers", Raw(body)))
    skipped = [f"cluster {s.get('id')}: {s.get('reason', '')}" for s in doc.get("skipped", [])]
    if skipped:
        parts.append(Raw(f'<p class="muted">not scored:<br>{lines(skipped)}</p>'))
    settings = {k: v for k, v in doc.get("settings", {}).items() if not isinstance(v, dict)}
    if settings:
        text = ", ".join(f"{k} {v}" for k, v in settings.items())
        parts.append(tag("p", f"settings: {text}", "muted"))
    return section("eval", "Evaluation", parts)


def _gate(gate: dict | None) -> list:
    if not gate:
        return ["—", "", "", ""]
    checks = gate.get("checks") or []
    metric = gate.get("metric", "")
    if len(checks) > 1:  # a cluster with tool calls and text answers is gated on both
        metric = lines(
            [
                f"{c.get('metric')}: {num(c.get('wilson_low'), 3)} "
                f"({num(c.get('k'))}/{num(c.get('n'))})"
                for c in checks
            ]
        )
    passed = gate.get("passed")
    return [
        metric,
        Num(num(gate.get("wilson_low"), 3)),
        Num(f"{num(gate.get('k'))}/{num(gate.get('n'))}"),
        tag("span", "passed" if passed else "failed", "passed" if passed else "failed"),
    ]


def _money(savings: dict | None, monthly: bool) -> list:
    pair = charts.cost_pair(savings, monthly)
    if pair is None:
        llm = ((savings or {}).get("monthly") if monthly else savings) or {}
        return [Num(usd(llm.get("llm_cost_usd"))), Num("—"), Num("—")]
    return [Num(usd(pair[0])), Num(usd(pair[1])), Num(usd(pair[0] - pair[1]))]


def rollout(run: Run) -> tuple:
    """Each cluster's rollout decision with its gate numbers, and the savings (monthly when
    the logs span long enough, else over the logged period)."""
    doc = run.doc("rollout.json")
    if not doc:
        return section("rollout", "Rollout and savings", [not_run("deploy")])
    found = doc.get("clusters", [])
    totals = doc.get("savings") or {}
    monthly = any(charts.cost_pair(c.get("savings"), True) for c in found)
    parts = []
    chart = charts.savings_chart(found, monthly)
    if chart:
        parts.append(image(chart, "savings per cluster"))
    rows = [
        [
            Num(c["id"]),
            c.get("label") or "",
            tag("span", c.get("decision", ""), c.get("decision", "")),
            c.get("model") or "—",
            *_gate(c.get("gate")),
            c.get("reason", ""),
            *_money(c.get("savings"), monthly),
        ]
        for c in found
    ]
    for key, name in (("promoted", "total, promoted"), ("if_all_held_promoted", "if held too")):
        if totals.get(key):
            rows.append(["", name, *[""] * 7, *_money(totals[key], monthly)])
    unit = "/month" if monthly else " (logged period)"
    headers = ROLLOUT_COLUMNS.split("|") + [f"{side} ${unit}" for side in ("LLM", "SLM", "saved")]
    parts.append(table(headers, rows))
    note = (totals.get("period") or {}).get("note")
    if note:
        parts.append(tag("p", note, "muted"))
    gate = doc.get("gate") or {}
    if gate:
        parts.append(
            tag(
                "p",
                f"promotion gate: Wilson 95% lower bound of {gate.get('tool_metric')} (tool "
                f"calls) and {gate.get('text_metric')} (text) at least "
                f"{num(gate.get('threshold'), 2)}",
                "muted",
            )
        )
    return section("rollout", "Rollout and savings", parts)


def all_sections(run: Run) -> list[tuple]:
    """Every section of the report: the stages, each stage's own section in pipeline order,
    then the live rollout."""
    own = [registry.resolve(s.section)(run) for s in registry.stages() if s.section]
    return [stages(run), *own, live(run)]
