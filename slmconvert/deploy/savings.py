"""Expected savings: what each cluster's logged calls cost on the LLM against a small model.

LLM cost per call is the logged ``cost_usd``; a call without one is priced from its tokens with
the price table (``llm_price_in`` / ``llm_price_out``, USD per million tokens) when one is given,
else it stays unpriced. The SLM cost is the same calls' tokens at the model's
``serving_usd_per_mtok``, so both sides cover the same calls. Monthly figures scale the per-call
averages to every call of the cluster at the logged rate (calls per day over the logged span,
times 30 days); a span under a day, or no timestamps, leaves them out with a note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from slmconvert.core.records import NOISE, call_tokens  # call_tokens: re-exported

MONTH_DAYS = 30
MIN_SPAN_DAYS = 1.0
USD_DIGITS = 6
COLUMNS = ["cluster_id", "usage", "cost_usd", "timestamp", "model", "messages", "tools", "response"]


@dataclass(frozen=True)
class Prices:
    """The LLM's price table in USD per million tokens (either side may be missing)."""

    input: float | None = None
    output: float | None = None

    @property
    def complete(self) -> bool:
        return self.input is not None and self.output is not None


@dataclass
class Usage:
    """One cluster's logged traffic, accumulated call by call."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_estimated_calls: int = 0
    priced_calls: int = 0
    priced_tokens: int = 0
    logged_calls: int = 0
    table_calls: int = 0
    llm_cost: float = 0.0

    @property
    def source(self) -> str | None:
        """Where the LLM cost comes from: logged, price table, both, or None (unpriced)."""
        if self.logged_calls and self.table_calls:
            return "logged + price table"
        if self.logged_calls:
            return "logged"
        return "price table" if self.table_calls else None


@dataclass
class Traffic:
    """All clusters' usage, the logged time span, and the models the logs name."""

    clusters: dict[int, Usage] = field(default_factory=dict)
    start: str | None = None
    end: str | None = None
    models: Counter = field(default_factory=Counter)

    @property
    def all_calls(self) -> Usage:
        """Every call's usage summed, noise included."""
        total = Usage()
        for usage in self.clusters.values():
            for name in (
                "calls",
                "input_tokens",
                "output_tokens",
                "tokens_estimated_calls",
                "priced_calls",
                "priced_tokens",
                "logged_calls",
                "table_calls",
            ):
                setattr(total, name, getattr(total, name) + getattr(usage, name))
            total.llm_cost += usage.llm_cost
        return total


def tally(batches: Iterable[list[dict]], prices: Prices = Prices()) -> Traffic:
    """Count calls, tokens and LLM cost per cluster over record batches (dicts with COLUMNS)."""
    traffic = Traffic()
    for batch in batches:
        for rec in batch:
            cid = rec.get("cluster_id")
            usage = traffic.clusters.setdefault(NOISE if cid is None else cid, Usage())
            prompt, answer, estimated = call_tokens(rec)
            usage.calls += 1
            usage.input_tokens += prompt
            usage.output_tokens += answer
            usage.tokens_estimated_calls += estimated
            cost = rec.get("cost_usd")
            if cost is not None:
                usage.logged_calls += 1
            elif prices.complete:
                cost = (prompt * prices.input + answer * prices.output) / 1e6
                usage.table_calls += 1
            if cost is not None:
                usage.priced_calls += 1
                usage.priced_tokens += prompt + answer
                usage.llm_cost += cost
            stamp = rec.get("timestamp")
            if stamp:
                traffic.start = stamp if traffic.start is None else min(traffic.start, stamp)
                traffic.end = stamp if traffic.end is None else max(traffic.end, stamp)
            if rec.get("model"):
                traffic.models[rec["model"]] += 1
    return traffic


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def period(start: str | None, end: str | None) -> dict:
    """The logged span and the factor that turns it into 30 days (None when too short)."""
    if start is None or end is None:
        note = "the records carry no timestamps; monthly figures left out"
        return {"start": None, "end": None, "days": None, "monthly_factor": None, "note": note}
    days = (_parse(end) - _parse(start)).total_seconds() / 86400
    doc = {"start": start, "end": end, "days": round(days, 4), "monthly_factor": None, "note": None}
    if days < MIN_SPAN_DAYS:
        doc["note"] = (
            f"the logs span {days * 24:.1f} hours, under {MIN_SPAN_DAYS:g} day; "
            "monthly figures left out rather than extrapolated from a burst"
        )
    else:
        doc["monthly_factor"] = round(MONTH_DAYS / days, 6)
    return doc


def _usd(value: float | None) -> float | None:
    return None if value is None else round(value, USD_DIGITS)


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole, 4)


def _monthly(
    calls: int,
    priced: int,
    llm: float | None,
    slm: float | None,
    factor: float | None,
    kept: float = 0.0,
) -> dict | None:
    if factor is None or not priced or llm is None:
        return None
    monthly_calls = calls * factor
    per_call = monthly_calls / priced  # per-call averages of the priced calls, over every call
    slm_month = None if slm is None else slm * per_call
    return {
        "calls": round(monthly_calls, 1),
        "llm_cost_usd": _usd(llm * per_call),
        "slm_cost_usd": _usd(slm_month),
        "saving_usd": None if slm_month is None else _usd((llm * (1 - kept) - slm) * per_call),
    }


def cluster_savings(
    usage: Usage,
    serving_usd_per_mtok: float | None,
    factor: float | None,
    all_llm_cost: float | None,
    llm_kept: float = 0.0,
) -> dict:
    """One cluster's savings block (costs over its priced calls, monthly over all its calls).

    ``llm_kept`` is the share of the cluster's calls the LLM still answers once the SLM serves
    all of them: the gateway's audits and its fallbacks.
    """
    llm = usage.llm_cost if usage.priced_calls else None
    slm = None
    if llm is not None and serving_usd_per_mtok is not None:
        slm = usage.priced_tokens * serving_usd_per_mtok / 1e6
    saving = None if slm is None else llm * (1 - llm_kept) - slm
    return {
        "calls": usage.calls,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "tokens_estimated_calls": usage.tokens_estimated_calls,
        "priced_calls": usage.priced_calls,
        "priced_tokens": usage.priced_tokens,
        "llm_cost_usd": _usd(llm),
        "llm_cost_source": usage.source,
        "serving_usd_per_mtok": serving_usd_per_mtok,
        "slm_cost_usd": _usd(slm),
        "saving_usd": _usd(saving),
        "llm_calls_kept_share": round(llm_kept, 4),
        "saving_share": _share(saving, llm),
        "llm_cost_share": _share(llm, all_llm_cost),
        "monthly": _monthly(usage.calls, usage.priced_calls, llm, slm, factor, llm_kept),
    }


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def total(blocks: list[dict], all_llm_cost: float | None) -> dict:
    """Savings blocks summed (unknown figures are left out of a sum; all unknown = None)."""
    llm = _sum([b["llm_cost_usd"] for b in blocks])
    saving = _sum([b["saving_usd"] for b in blocks])
    months = [b["monthly"] for b in blocks if b["monthly"] is not None]
    monthly = None
    if months:
        monthly = {
            "calls": round(sum(m["calls"] for m in months), 1),
            **{
                key: _usd(_sum([m[key] for m in months]))
                for key in ("llm_cost_usd", "slm_cost_usd", "saving_usd")
            },
        }
    return {
        "clusters": len(blocks),
        "calls": sum(b["calls"] for b in blocks),
        "priced_calls": sum(b["priced_calls"] for b in blocks),
        "llm_cost_usd": _usd(llm),
        "slm_cost_usd": _usd(_sum([b["slm_cost_usd"] for b in blocks])),
        "saving_usd": _usd(saving),
        "saving_share": _share(saving, llm),
        "share_of_all_llm_cost": _share(saving, all_llm_cost),
        "monthly": monthly,
    }
