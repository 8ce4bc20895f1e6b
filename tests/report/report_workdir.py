"""A small but complete work directory: every stage's manifest and the files of
docs/stage-outputs.md, written through the real StageOutput (finetune, eval and deploy outputs
are hand-written to the contract until those stages exist)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from slmconvert.core.stagedir import StageOutput

# three task types; the refunds label carries markup to prove the page escapes it
CLUSTERS = [
    (0, "order, status, track → tool calls [get_order]", 600, True),
    (1, "refunds <script>alert(1)</script> & returns → text", 250, False),
    (2, "invoice, address, change → json", 120, False),
]
LOSS = {0: [[1, 2.4], [10, 1.1], [20, 0.6]], 1: [[1, 2.9], [10, 1.8], [20, 1.2]]}
# USD per month on the LLM and on the small model; cluster 2 was not fine-tuned
MONTHLY = {0: (900.0, 40.0), 1: (300.0, 25.0), 2: (150.0, None)}
FACTOR = 3.0  # the logs span 10 days


def rate(k: int, n: int, low: float) -> dict:
    return {"k": k, "n": n, "rate": k / n, "wilson_low": low}


def cluster_entries() -> list[dict]:
    rng = np.random.default_rng(0)
    total = sum(size for _, _, size, _ in CLUSTERS)
    return [
        {
            "id": cid,
            "label": label,
            "size": size,
            "share": size / total,
            "keywords": label.split(" → ")[0].split(", "),
            "tools": ["get_order"] if tools else [],
            "answer_kinds": {"tool:get_order" if tools else "text": 1.0},
            "input_tokens": {"p50": 400 + cid, "p95": 900},
            "output_tokens": {"p50": 30, "p95": 60},
            "tool_call_share": 1.0 if tools else 0.0,
            "cost_share": size / total,
            "examples": [f"{cid:032x}"],
            "centroid": rng.normal(size=8).round(4).tolist(),
        }
        for cid, label, size, tools in CLUSTERS
    ]


def selection_doc(clusters: list[dict]) -> dict:
    def candidate(rank: int, name: str, params: float) -> dict:
        return {
            "model": name,
            "hub_id": f"org/{name}",
            "params_b": params,
            "rank": rank,
            "tool_format": "hermes",
            "train_memory_gb": 2.5 * params,
            "serving_usd_per_mtok": 0.04 * params,
        }

    return {
        "catalog": {"path": "models.yaml", "models": 3},
        "assumptions": {"serving": {"gpu": "NVIDIA L4 24 GB", "gpu_hour_usd": 0.8}},
        "constraints": {"top_k": 2},
        "clusters": [
            {
                "id": c["id"],
                "label": c["label"],
                "requirements": {
                    "records": c["size"],
                    "train_records": int(c["size"] * 0.8),
                    "context_tokens": {"p95": 960, "max": 1000},
                    "tool_calling": bool(c["tools"]),
                    "required_languages": ["en"],
                    "complexity": {"level": "simple"},
                },
                "decision": "specialise",
                "reason": "Qwen3-0.6B is the smallest catalog model that meets the needs",
                "candidates": [candidate(1, "Qwen3-0.6B", 0.6), candidate(2, "Qwen3-1.7B", 1.7)],
                "rejected": [{"model": "tiny-test", "reasons": ["test-only model"]}],
            }
            for c in clusters
        ],
    }


def finetune_doc(clusters: list[dict]) -> dict:
    trained = [c for c in clusters if c["id"] in LOSS]
    return {
        "clusters": [
            {
                "id": c["id"],
                "label": c["label"],
                "model": "Qwen3-0.6B",
                "base": "Qwen/Qwen3-0.6B",
                "method": "lora",
                "kind": "adapter",
                "path": f"adapters/{c['id']}",
                "examples": int(c["size"] * 0.8),
                "steps": 20,
                "epochs": 1.0,
                "loss": LOSS[c["id"]],
                "final_loss": LOSS[c["id"]][-1][1],
                "tokens_per_s": 850.0,
                "peak_memory_mb": 2100,
                "wall_s": 61.5,
            }
            for c in trained
        ],
        "skipped": [{"id": 2, "reason": "too few training examples"}],
    }


def eval_doc() -> dict:
    return {
        "settings": {"samples": 1, "temperature": 0.0, "similarity_threshold": 0.8},
        "clusters": [
            {
                "id": 0,
                "label": CLUSTERS[0][1],
                "model": "Qwen3-0.6B",
                "records": 120,
                "before": {
                    "valid_output": rate(60, 120, 0.41),
                    "tool_call_match": rate(30, 120, 0.18),
                },
                "after": {
                    "valid_output": rate(119, 120, 0.95),
                    "tool_call_match": rate(116, 120, 0.92),
                    "latency_ms": {"p50": 180, "p95": 420},
                },
                "examples": [
                    {
                        "reference": "get_order(order_id=<ORDER>)",
                        "before": "Sure!",
                        "after": "get_order(order_id=<ORDER>)",
                    }
                ],
            },
            {
                "id": 1,
                "label": CLUSTERS[1][1],
                "model": "Qwen3-0.6B",
                "records": 50,
                "before": None,
                "after": {
                    "text_similarity_match": rate(40, 50, 0.67),
                    "text_rouge_l": {"n": 50, "mean": 0.61},
                },
            },
        ],
    }


def _savings(cid: int) -> dict:
    """A cluster's savings block: MONTHLY costs, logged over a third of a month."""
    llm, slm = MONTHLY.get(cid, (60.0, None))
    saving = None if slm is None else llm - slm

    def third(value):
        return None if value is None else round(value / FACTOR, 2)

    return {
        "calls": 300,
        "input_tokens": 120_000,
        "output_tokens": 9_000,
        "tokens_estimated_calls": 0,
        "priced_calls": 300,
        "priced_tokens": 129_000,
        "llm_cost_usd": third(llm),
        "llm_cost_source": "logged",
        "serving_usd_per_mtok": None if slm is None else 0.03,
        "slm_cost_usd": third(slm),
        "saving_usd": third(saving),
        "saving_share": None if slm is None else saving / llm,
        "llm_cost_share": 0.25,
        "monthly": {
            "calls": 300 * FACTOR,
            "llm_cost_usd": llm,
            "slm_cost_usd": slm,
            "saving_usd": saving,
        },
    }


def _total(blocks: list[dict]) -> dict:
    def add(key, side=None):
        values = [(b[side] if side else b)[key] for b in blocks]
        return sum(v for v in values if v is not None)

    return {
        "clusters": len(blocks),
        "calls": add("calls"),
        "priced_calls": add("priced_calls"),
        "llm_cost_usd": add("llm_cost_usd"),
        "slm_cost_usd": add("slm_cost_usd"),
        "saving_usd": add("saving_usd"),
        "saving_share": None,
        "share_of_all_llm_cost": None,
        "monthly": {
            key: add(key, "monthly")
            for key in ("calls", "llm_cost_usd", "slm_cost_usd", "saving_usd")
        },
    }


def rollout_doc() -> dict:
    """rollout.json as slmconvert/deploy/rollout.schema.json has it: 0 promoted, 1 held,
    2 and the noise left on the LLM."""
    gates = {
        0: ("promote", "tool_call_match", 0.92, 116, 120),
        1: ("hold", "text_similarity_match", 0.67, 40, 50),
    }
    steps = [
        {"name": n, "percent": p, "min_samples": 200, "max_invalid_rate": 0.02}
        for n, p in (("shadow", 0), ("5%", 5), ("100%", 100))
    ]
    clusters = []
    for cid, label in [(c[0], c[1]) for c in CLUSTERS] + [(-1, "noise")]:
        decision, metric, low, k, n = gates.get(cid, ("stay_on_llm", None, None, None, None))
        check = {"metric": metric, "wilson_low": low, "k": k, "n": n, "passed": low and low >= 0.9}
        promoted = decision == "promote"
        clusters.append(
            {
                "id": cid,
                "label": label,
                "decision": decision,
                "reason": f"{metric} Wilson lower bound {low} (k/n = {k}/{n}) vs threshold 0.9"
                if metric
                else "not fine-tuned",
                "model": "Qwen3-0.6B" if metric else None,
                "base": "Qwen/Qwen3-0.6B" if metric else None,
                "adapter": f"adapters/{cid}" if metric else None,
                "kind": "adapter" if metric else None,
                "lora_name": f"cluster-{cid}@v1" if promoted else None,
                "gate": {**check, "threshold": 0.9, "checks": [check]} if metric else None,
                "schedule": steps if promoted else [],
                "fallback": [
                    {"when": "invalid_output", "action": "llm", "description": "unparseable"}
                ]
                if promoted
                else [],
                "savings": _savings(cid),
            }
        )
    held = [c["savings"] for c in clusters if c["decision"] in ("promote", "hold")]
    return {
        "version": 1,
        "generated_by": "slmconvert 0.1.0",
        "gate": {
            "tool_metric": "tool_call_match",
            "text_metric": "text_similarity_match",
            "threshold": 0.9,
            "bound": "wilson_95_lower",
            "scored": "after",
        },
        "router": {
            "path": "router",
            "load": "slmconvert.clustering.router.TaskRouter.load(path).assign(requests)",
            "embedder": {"kind": "static", "model": "static-minilm"},
            "signature": ["tools"],
            "cluster_ids": [0, 1, 2],
            "bounds": "calibrated per node on the logged calls",
            "unmatched": "llm",
        },
        "llm": {"model": "gpt-4o", "source": "most logged model"},
        "clusters": clusters,
        "savings": {
            "currency": "USD",
            "period": {
                "start": "2026-01-01T00:00:00Z",
                "end": "2026-01-11T00:00:00Z",
                "days": 10.0,
                "monthly_factor": FACTOR,
                "note": None,
            },
            "all_calls": {"calls": 1200, "priced_calls": 1200, "llm_cost_usd": 500.0},
            "promoted": _total(held[:1]),
            "if_all_held_promoted": _total(held),
        },
    }


def _stage(out: Path, stage: str, lineage: list[dict], files: dict[str, object]) -> list[dict]:
    with StageOutput(out, stage, {"seed": 0}, lineage=lineage, seed=0) as o:
        o.counts = {"records": 970, "clusters": len(CLUSTERS)}
        o.warnings = ["some token counts are estimated as ceil(characters / 4)"]
        for name, content in files.items():
            if isinstance(content, np.ndarray):
                np.save(o.path / name, content)
            else:
                (o.path / name).write_bytes(orjson.dumps(content, option=orjson.OPT_INDENT_2))
    return o.manifest["lineage"]


def build_workdir(root: Path, names: dict[str, str] | None = None, last: str = "deploy") -> Path:
    """Write stage directories collect..``last`` under ``root``; ``names`` renames their dirs."""
    clusters = cluster_entries()
    docs = {
        "clusters.json": {
            "embedder": {"model": "all-MiniLM-L6-v2", "signature": ["tools"]},
            "clusters": clusters,
            "noise": {"size": 30, "share": 0.03},
        }
    }
    plan = [
        ("collect", {}),
        ("pii", {}),
        ("cluster", {"centroids.npy": np.array([c["centroid"] for c in clusters], np.float32)}),
        ("select", {"selection.json": selection_doc(clusters)}),
        ("finetune", {"finetune.json": finetune_doc(clusters)}),
        ("eval", {"eval.json": eval_doc()}),
        ("deploy", {"rollout.json": rollout_doc()}),
    ]
    lineage: list[dict] = []
    carried: dict[str, object] = {}
    for number, (stage, files) in enumerate(plan, start=1):
        if stage == "cluster":
            carried.update(docs)
        name = (names or {}).get(stage, f"{number:02d}_{stage}")
        lineage = _stage(root / name, stage, lineage, {**carried, **files})
        carried.update({k: v for k, v in files.items() if k.endswith(".json")})
        if stage == last:
            break
    return root
