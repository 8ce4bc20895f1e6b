"""Assemble the rollout manifest from the eval stage's JSON files and the logged traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from slmconvert import __version__
from slmconvert.core.errors import ConfigError
from slmconvert.deploy import gate, savings, serve
from slmconvert.deploy.rollout import VERSION
from slmconvert.training.templates import PROFILES


@dataclass(frozen=True)
class RolloutPolicy(gate.GatePolicy):
    """The gate policy and what else the manifest reads of the deploy stage's settings."""

    llm_model: str | None  # the LLM the router falls back to (None = the most logged model)
    audit_rate: float  # share of SLM answers the gateway also sends to the LLM


@dataclass
class EvalDocs:
    """The JSON files of an eval stage directory, parsed."""

    clusters: dict
    selection: dict
    finetune: dict
    eval: dict
    router: dict | None = None  # router/router.json of the cluster run


@dataclass
class Plan:
    """The manifest, what to serve, which adapter directories to copy, and warnings."""

    doc: dict
    served: list[serve.Served] = field(default_factory=list)
    copies: dict[int, Path] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)  # serve/templates/... -> text
    warnings: list[str] = field(default_factory=list)


def _by_id(entries) -> dict[int, dict]:
    return {
        e["id"]: e for e in entries or [] if isinstance(e, dict) and isinstance(e.get("id"), int)
    }


class _Prices:
    """Serving cost per million tokens of the models clusters were trained on."""

    def __init__(self, selection: dict):
        self._catalog_path = (selection.get("catalog") or {}).get("path")
        self._catalog = None

    def _from_catalog(self, names: list[str]) -> float | None:
        from slmconvert import catalog as catalogs

        if self._catalog is None:
            try:
                self._catalog = catalogs.load(self._catalog_path)
            except ConfigError:
                return None
        for name in names:
            try:
                return self._catalog.get(name).serving_cost(self._catalog.serving)
            except ConfigError:
                continue
        return None

    def cost(self, evaluated: dict, chosen: dict | None) -> float | None:
        """The model's ``serving_usd_per_mtok``: from select's candidates, else the catalog."""
        names = [n for n in (evaluated.get("model"), evaluated.get("base")) if n]
        for cand in (chosen or {}).get("candidates") or []:
            if {cand.get("model"), cand.get("hub_id")} & set(names):
                return cand.get("serving_usd_per_mtok")
        return self._from_catalog(names)


def _ids(docs: EvalDocs, traffic: savings.Traffic) -> list[int]:
    ids = set(_by_id(docs.clusters.get("clusters"))) | set(traffic.clusters)
    ids |= set(_by_id(docs.selection.get("clusters"))) | set(_by_id(docs.eval.get("clusters")))
    return sorted(ids, key=lambda cid: (cid == gate.NOISE, cid))


def _llm(config: RolloutPolicy, traffic: savings.Traffic) -> dict:
    if config.llm_model:
        return {"model": config.llm_model, "source": "config"}
    if traffic.models:
        return {"model": traffic.models.most_common(1)[0][0], "source": "most logged model"}
    return {"model": None, "source": "unknown"}


def llm_kept(result: dict | None, config: RolloutPolicy) -> float:
    """Share of a promoted cluster's calls the LLM still answers: audits and fallbacks.

    Fallbacks are predicted by eval's invalid-output rate of the tuned model.
    """
    valid = ((result or {}).get("after") or {}).get("valid_output") or {}
    fallback = 1.0 - valid["rate"] if isinstance(valid.get("rate"), int | float) else 0.0
    return min(1.0, config.audit_rate + fallback * (1 - config.audit_rate))


def _router(docs: EvalDocs, router_dir: str) -> dict:
    settings = docs.router["settings"]
    return {
        "path": router_dir,
        "load": "slmconvert.clustering.router.TaskRouter.load(path).assign(requests)",
        "embedder": {
            k: v for k, v in settings["embedder"].items() if k in ("kind", "model", "path")
        },
        "signature": settings["signature"],
        "cluster_ids": [c["id"] for c in docs.clusters["clusters"]],
        "bounds": "calibrated per node on the logged calls",
        "unmatched": "llm",
    }


def build(docs: EvalDocs, traffic: savings.Traffic, config: RolloutPolicy, router_dir: str) -> Plan:
    """The rollout manifest and what serving it takes (files are the stage's job)."""
    plan = Plan(doc={})
    span = savings.period(traffic.start, traffic.end)
    everything = traffic.all_calls
    all_llm = everything.llm_cost if everything.priced_calls else None
    index = _Index.of(docs)
    entries = []
    for cid in _ids(docs, traffic):
        entry, serving = _decide(cid, index, config, plan)
        usage = traffic.clusters.get(cid, savings.Usage())
        promoted = entry["decision"] == gate.PROMOTE
        kept = llm_kept(index.evaluated.get(cid), config) if promoted else 0.0
        entry["savings"] = savings.cluster_savings(
            usage, serving, span["monthly_factor"], all_llm, llm_kept=kept
        )
        entries.append(entry)
    plan.warnings += _pricing_warnings(entries)
    if span["note"]:
        plan.warnings.append(span["note"])
    llm = _llm(config, traffic)
    if llm["model"] is None:
        plan.warnings.append("the records name no model; pass --llm-model for the router config")
    plan.doc = {
        "version": VERSION,
        "generated_by": f"slmconvert {__version__}",
        "gate": {
            "tool_metric": config.gate_metric,
            "text_metric": gate.TEXT_METRIC,
            "threshold": config.gate_threshold,
            "bound": "wilson_95_lower",
            "scored": "after",
        },
        "router": _router(docs, router_dir),
        "llm": llm,
        "clusters": entries,
        "savings": _savings(entries, span, everything, all_llm),
    }
    return plan


@dataclass
class _Index:
    """The eval stage's JSON files by cluster id, and the prices of the models trained."""

    labels: dict[int, str | None]
    selection: dict[int, dict]
    evaluated: dict[int, dict]
    trained: dict[int, dict]
    skipped: dict[int, str | None]
    prices: _Prices

    @classmethod
    def of(cls, docs: EvalDocs) -> _Index:
        return cls(
            labels={cid: c.get("label") for cid, c in _by_id(docs.clusters["clusters"]).items()},
            selection=_by_id(docs.selection.get("clusters")),
            evaluated=_by_id(docs.eval.get("clusters")),
            trained=_by_id(docs.finetune.get("clusters")),
            skipped={
                s["id"]: s.get("reason") for s in _by_id(docs.finetune.get("skipped")).values()
            },
            prices=_Prices(docs.selection),
        )


def _decide(
    cid: int, index: _Index, config: RolloutPolicy, plan: Plan
) -> tuple[dict, float | None]:
    """One cluster's manifest entry (savings aside) and its model's serving cost; a promoted
    cluster's serving goes into ``plan``."""
    chosen, result = index.selection.get(cid), index.evaluated.get(cid)
    decision, reason, gated = gate.decide(cid, chosen, index.skipped.get(cid), result, config)
    entry = {
        "id": cid,
        "label": index.labels.get(cid) or (chosen or {}).get("label"),
        "decision": decision,
        "reason": reason,
        "model": None,
        "base": None,
        "adapter": None,
        "kind": None,
        "lora_name": None,
        "gate": gated,
        "schedule": [],
        "fallback": [gate.NOISE_RULE] if cid == gate.NOISE else [],
    }
    serving = None
    if result is not None:
        kind = result.get("kind") or "adapter"
        entry.update(
            model=result.get("model"),
            base=result.get("base"),
            adapter=result.get("adapter"),
            kind=kind,
        )
        serving = index.prices.cost(result, chosen)
        if serving is None:
            plan.warnings.append(f"cluster {cid}: no serving cost for its model; SLM cost left out")
    if decision == gate.PROMOTE:
        _promote(entry, result, index.trained.get(cid) or {}, config, plan)
    return entry, serving


def _savings(entries: list[dict], span: dict, everything: savings.Usage, all_llm) -> dict:
    """The manifest's savings: all logged calls, the promoted clusters, and the held ones too."""
    promoted = [e["savings"] for e in entries if e["decision"] == gate.PROMOTE]
    held = [e["savings"] for e in entries if e["decision"] == gate.HOLD]
    return {
        "currency": "USD",
        "period": span,
        "all_calls": {
            "calls": everything.calls,
            "priced_calls": everything.priced_calls,
            "llm_cost_usd": None if all_llm is None else round(all_llm, savings.USD_DIGITS),
        },
        "promoted": savings.total(promoted, all_llm),
        "if_all_held_promoted": savings.total(promoted + held, all_llm),
    }


def _promote(entry: dict, result: dict, trained: dict, config: gate.GatePolicy, plan: Plan) -> None:
    cid = entry["id"]
    source = Path(result["adapter"])
    name = serve.lora_name(cid, (trained.get("config_hash") or "")[:8] or "v1")
    relative = f"adapters/{cid}"
    tool_calls = bool((result.get("answer_kinds") or {}).get("tool_calls"))
    entry.update(
        adapter=relative,
        lora_name=name,
        schedule=gate.schedule(config),
        fallback=gate.fallback(tool_calls, config),
    )
    hyper = trained.get("hyperparameters") or {}
    rank = serve.adapter_rank(source, hyper.get("lora_r") or hyper.get("r"))
    # eval's parser name is what the adapter was scored in (finetune may not use native tools)
    tool_format = result.get("tool_format") or trained.get("tool_format")
    text = serve.trained_template(source)
    template = f"serve/templates/cluster-{cid}.jinja" if text else None
    if text:
        plan.templates[template] = text
    profile = PROFILES.get(trained.get("template") or "")
    thinking_off = bool(profile and "enable_thinking" in profile.kwargs)
    plan.served.append(
        serve.Served(
            cid,
            name,
            entry["base"],
            relative,
            entry["kind"],
            rank,
            tool_calls,
            tool_format,
            template,
            thinking_off,
        )  # fmt: skip
    )
    plan.copies[cid] = source


def _pricing_warnings(entries: list[dict]) -> list[str]:
    out = []
    moving = [e for e in entries if e["decision"] != gate.STAY]
    unpriced = [str(e["id"]) for e in moving if e["savings"]["llm_cost_usd"] is None]
    if unpriced:
        out.append(
            f"clusters {', '.join(unpriced)}: no logged cost_usd and no price table "
            "(--llm-price-in, --llm-price-out); their savings are left out"
        )
    calls = sum(e["savings"]["calls"] for e in moving)
    priced = sum(e["savings"]["priced_calls"] for e in moving)
    if 0 < priced < calls:
        out.append(
            f"LLM cost known for {priced:,} of {calls:,} calls of the evaluated clusters; "
            "savings cover those calls, monthly figures extrapolate their average to all"
        )
    return out
