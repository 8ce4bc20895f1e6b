"""The report's live-rollout section: what the gateway did with real traffic (``08_live/``)."""

from __future__ import annotations

from collections import Counter

import orjson

from slmconvert.report import charts
from slmconvert.report.collect import Run
from slmconvert.report.html import Num, image, num, section, table, tag

LIVE = "08_live"


def _served(run: Run) -> list[dict]:
    files = sorted((run.workdir / LIVE / "served").glob("*.jsonl"))
    return [orjson.loads(line)["slmconvert"] for f in files for line in f.read_bytes().splitlines()]


def _percentile(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


def _step(index: int | None) -> str:
    return "—" if index is None else ("LLM" if index < 0 else str(index))


def live(run: Run) -> tuple:
    """Share of traffic on SLMs over time, each transition with its numbers, fallbacks, latency."""
    path = run.workdir / LIVE / "live.json"
    if not path.is_file():
        hint = f"not run: python -m slmconvert.gateway.live {run.workdir}"
        return section("live", "Live rollout", [tag("p", hint, "muted")])
    doc = orjson.loads(path.read_bytes())
    served = _served(run)
    parts = []
    chart = charts.slm_share([s["arm"] == "slm" for s in served])
    if chart:
        parts.append(image(chart, "share of calls answered by small models"))
    rows = [
        [Num(e["cluster"]), e["kind"], f"{_step(e['from_step'])} → {_step(e['to_step'])}",
         num((e["numbers"] or {}).get("scored")), num((e["numbers"] or {}).get("agreement"), 3),
         num((e["numbers"] or {}).get("wilson_low"), 3), e["reason"]]
        for e in doc.get("events", [])
    ]  # fmt: skip
    parts.append(
        table(["cluster", "transition", "step", "scored", "agreement", "bound", "why"], rows)
    )
    arms = Counter(s["arm"] for s in served)
    reasons = Counter(s["fallback_reason"] for s in served if s["fallback_reason"])
    latency = [
        [arm, Num(n), num(_percentile([s["latency_ms"] for s in served if s["arm"] == arm], 0.5), 1),
         num(_percentile([s["latency_ms"] for s in served if s["arm"] == arm], 0.95), 1)]
        for arm, n in arms.most_common()
    ]  # fmt: skip
    parts.append(table(["arm", "calls", "latency p50 ms", "p95 ms"], latency))
    fallbacks = ", ".join(f"{r}: {n}" for r, n in reasons.most_common()) or "none"
    parts.append(tag("p", f"fallbacks to the LLM by reason: {fallbacks}", "muted"))
    return section("live", "Live rollout", parts)
