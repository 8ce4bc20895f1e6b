"""An eval-stage directory over the examples' select output, for deploy and gateway tests.

Cluster 0 (tool calls) and 2 (JSON answers, gated as text) pass their gates, 3 (text) is
below, 1 (mixed) lacks its text metric, 4 was skipped by finetune, 5 never trained, select kept
6 on the LLM, and the clusters from 7 on play noise. The adapters are real PEFT files whose
weights serve nothing: the gateway tests serve these clusters from an OpenAI-compatible server.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from safetensors.numpy import save_file

from slmconvert.core.stagedir import StageOutput, open_input

HERMES, LLAMA3 = "hermes <tool_call> JSON", "llama3 JSON function call"
QWEN_06 = ("Qwen3-0.6B", "Qwen/Qwen3-0.6B", HERMES)
LLAMA_1B = ("Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-1B-Instruct", LLAMA3)
QWEN_17 = ("Qwen3-1.7B", "Qwen/Qwen3-1.7B", HERMES)
# id: (model, answer kinds of its held-out calls, after-metrics as (k, n), LoRA rank)
EVALUATED = {
    0: (QWEN_06, {"tool_calls": 227, "text": 0}, {"tool_call_match": (226, 227)}, 16),
    1: (LLAMA_1B, {"tool_calls": 100, "text": 24}, {"tool_call_match": (100, 100)}, 16),
    2: (QWEN_06, {"tool_calls": 0, "text": 80}, {"text_similarity_match": (80, 80)}, 8),
    3: (QWEN_17, {"tool_calls": 0, "text": 72}, {"text_similarity_match": (60, 72)}, 32),
}


def wilson_low(k: int, n: int, z: float = 1.959964) -> float:
    """Lower bound of the Wilson score interval (what the eval stage reports)."""
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def write_adapter(path: Path, base: str, rank: int) -> Path:
    """A PEFT LoRA adapter directory: adapter_config.json and its safetensors weights."""
    path.mkdir(parents=True)
    config = {"peft_type": "LORA", "base_model_name_or_path": base, "r": rank, "lora_alpha": 32}
    (path / "adapter_config.json").write_bytes(orjson.dumps(config))
    weights = {"base_model.model.layers.0.q_proj.lora_A.weight": np.ones((rank, 8), "float32")}
    save_file(weights, str(path / "adapter_model.safetensors"))
    return path


NOISE_FROM = 7  # the examples' clusters from 7 on play noise here: the router left them out


def as_noise(table: pa.Table, first: int) -> pa.Table:
    """``table`` with the records of clusters ``first`` and above moved to noise (-1)."""
    ids = table.column("cluster_id")
    noise = pc.if_else(pc.greater_equal(ids, first), pa.scalar(-1, pa.int32()), ids)
    return table.set_column(table.schema.get_field_index("cluster_id"), "cluster_id", noise)


def write_eval_dir(root: Path, stages: dict[str, Path]) -> Path:
    """An eval-stage directory over the examples' select output, through the real writer."""
    SELECT, CLUSTER = stages["select"], stages["cluster"]
    source = open_input(SELECT, expect=("select",))
    selection = orjson.loads((SELECT / "selection.json").read_bytes())
    selection["clusters"] = [e for e in selection["clusters"] if e["id"] < NOISE_FROM]
    for entry in selection["clusters"]:
        if entry["id"] == 6:
            entry.update(decision="stay_on_llm", candidates=[], reason="fewer than 200 records")
    trained, results = [], []
    for cid, ((name, base, tool_format), kinds, scores, rank) in EVALUATED.items():
        adapter = write_adapter(root / "finetune" / "adapters" / str(cid), base, rank)
        trained.append(
            {"id": cid, "model": name, "base": base, "tool_format": tool_format, "kind": "adapter",
             "method": "lora", "path": f"adapters/{cid}", "hyperparameters": {"lora_r": rank}}
        )  # fmt: skip
        after = {
            metric: {"k": k, "n": n, "rate": k / n, "wilson_low": wilson_low(k, n)}
            for metric, (k, n) in scores.items()
        }
        results.append(
            {"id": cid, "label": None, "model": name, "base": base, "adapter": str(adapter),
             "kind": "adapter", "tool_format": tool_format.split()[0],  # eval's parser name
             "records": sum(kinds.values()), "answer_kinds": kinds,
             "before": None, "after": after, "scg": None, "examples": []}
        )  # fmt: skip
    finetune = {"clusters": trained, "skipped": [{"id": 4, "reason": "no example fits"}]}
    lineage = [*source.lineage, {"stage": "finetune", "config_hash": "f0"}]
    with StageOutput(root / "eval", "eval", {"seed": 0}, lineage=lineage) as out:
        for shard in source.data_files():
            out.records().write_table(as_noise(pq.read_table(shard), NOISE_FROM))
        clusters = orjson.loads((SELECT / "clusters.json").read_bytes())
        clusters["clusters"] = [c for c in clusters["clusters"] if c["id"] < NOISE_FROM]
        (out.path / "clusters.json").write_bytes(orjson.dumps(clusters))
        shutil.copyfile(CLUSTER / "centroids.npy", out.path / "centroids.npy")
        shutil.copytree(CLUSTER / "router", out.path / "router")
        for name, doc in (
            ("selection.json", selection),
            ("finetune.json", finetune),
            ("eval.json", {"settings": {"samples": 1}, "clusters": results}),
        ):
            (out.path / name).write_bytes(orjson.dumps(doc))
    return root / "eval"
