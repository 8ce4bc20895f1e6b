"""`slmconvert finetune`: an adapter per cluster on the examples' train splits, resumable.

Runs on the real select output of the example logs (`example_stages`) with a small tiny model,
a few dozen records and a few steps: enough to see loss fall, adapters save and reload, and
interrupted runs resume.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from slmconvert.core.config import FinetuneConfig
from slmconvert.core.errors import ConfigError, InputError
from slmconvert.stages import finetune
from slmconvert.training import trainer


def cluster_ids(select_dir: Path) -> tuple[int, int]:
    """The routing cluster (tool calls to the router's tools) and the largest text cluster."""
    doc = orjson.loads((select_dir / "clusters.json").read_bytes())
    routing = next(c["id"] for c in doc["clusters"] if "ToOrderStatusAssistant" in c["tools"])
    text = max(
        (c for c in doc["clusters"] if c["answer_kinds"].get("text", 0) == 1.0),
        key=lambda c: c["size"],
    )
    return routing, text["id"]


def config_for(model: Path, clusters: list[int], **overrides) -> FinetuneConfig:
    settings = dict(
        model=str(model), clusters=clusters, method="lora", max_train=16, max_steps=8,
        batch_size=2, learning_rate=5e-3, save_steps=3, lora_r=8, lora_alpha=16, threads=1,
    )  # fmt: skip
    settings.update(overrides)
    return FinetuneConfig(**settings)


class InterruptAt:
    """A progress display whose user presses Ctrl-C at ``step`` of the bar named ``label``."""

    def __init__(self, label: str, step: int):
        self.label, self.step, self.current, self.done = label, step, None, 0

    def start(self, description, total=None):
        self.current, self.done = description, 0

    def advance(self, amount=1):
        self.done += amount
        if self.current == self.label and self.done >= self.step:
            raise KeyboardInterrupt

    def finish(self):
        pass


TUNED = {"max_train": 4}


@pytest.fixture(scope="module")
def tuned(example_stages, small_tiny_model, tmp_path_factory):
    routing, _ = cluster_ids(example_stages["select"])
    out = tmp_path_factory.mktemp("finetune") / "out"
    # 4 examples in batches of 2: 8 steps are 4 passes over the same two batches, so the loss
    # compares like with like (16 examples would give 8 different batches, 8 different losses)
    config = config_for(small_tiny_model, [routing], **TUNED)
    return finetune.run(example_stages["select"], out, config)


def test_lora_training_lowers_the_loss_and_records_how_it_went(tuned):
    doc = orjson.loads((tuned.output / "finetune.json").read_bytes())
    [entry] = doc["clusters"]
    losses = [loss for _, loss in entry["loss"]]

    assert entry["method"] == "lora" and entry["kind"] == "adapter"
    assert entry["steps"] == 8 and len(losses) == 8
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2  # the last pass against the first
    assert entry["examples"] == 4 and entry["tokens_per_s"] > 0 and entry["peak_memory_mb"] > 0
    assert tuned.counts["clusters_trained"] == 1
    assert (tuned.output / "selection.json").exists() and (tuned.output / "centroids.npy").exists()


def test_the_adapter_reloads_with_peft_and_generates(tuned, small_tiny_model):
    entry = orjson.loads((tuned.output / "finetune.json").read_bytes())["clusters"][0]
    adapter = tuned.output / entry["path"]
    assert (adapter / "adapter_config.json").exists()
    assert (adapter / "adapter_model.safetensors").exists()

    base = AutoModelForCausalLM.from_pretrained(small_tiny_model)
    model = PeftModel.from_pretrained(base, adapter)
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Where is my order?"}], add_generation_prompt=True,
        tokenize=False,
    )  # fmt: skip
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        out = model.generate(**ids, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > ids["input_ids"].shape[1]


def test_ctrl_c_keeps_finished_adapters_and_the_rerun_resumes(
    example_stages, small_tiny_model, tmp_path
):
    routing, text = cluster_ids(example_stages["select"])
    config = config_for(small_tiny_model, [routing, text])
    out = tmp_path / "out"

    with pytest.raises(KeyboardInterrupt):
        finetune.run(
            example_stages["select"], out, config,
            progress=InterruptAt(f"finetune cluster {text}", step=5),
        )  # fmt: skip

    assert not out.exists()
    work = tmp_path / ".out.work"
    assert (work / str(routing) / "adapter" / "training.json").exists()
    assert (work / str(text) / "checkpoints" / "checkpoint-3").exists()

    result = finetune.run(example_stages["select"], out, config)

    entries = {e["id"]: e for e in orjson.loads((out / "finetune.json").read_bytes())["clusters"]}
    assert entries[routing]["reused"] is True
    assert entries[text]["resumed_from_step"] == 3 and entries[text]["steps"] == 8
    assert result.counts["clusters_reused"] == 1 and result.counts["clusters_trained"] == 1
    assert not work.exists()


def test_a_rerun_with_the_same_settings_reuses_every_adapter(
    tuned, example_stages, small_tiny_model
):
    routing, _ = cluster_ids(example_stages["select"])
    again = finetune.run(
        example_stages["select"], tuned.output, config_for(small_tiny_model, [routing], **TUNED),
        force=True,
    )  # fmt: skip
    assert again.counts["clusters_reused"] == 1 and again.counts["clusters_trained"] == 0


def test_overlong_examples_are_counted(example_stages, small_tiny_model, tmp_path):
    routing, _ = cluster_ids(example_stages["select"])
    config = config_for(
        small_tiny_model, [routing], max_seq_len=700, overflow="truncate", max_steps=1
    )
    result = finetune.run(example_stages["select"], tmp_path / "out", config)
    assert result.counts["examples_truncated"] > 0
    assert result.counts["examples_truncated"] + result.counts["examples"] >= 16


def test_an_unknown_model_path_is_one_clear_error(example_stages, tmp_path, cli):
    routing, _ = cluster_ids(example_stages["select"])
    result = cli(
        "finetune", example_stages["select"], "-o", tmp_path / "out",
        "--model", tmp_path / "no-such-model", "--cluster", routing,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no-such-model: not found as a local directory or on the hub" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_qlora_without_cuda_fails_with_one_line(example_stages, tmp_path, cli):
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        trainer.pick_method("qlora")
    result = cli("finetune", example_stages["select"], "-o", tmp_path / "o", "--method", "qlora")
    assert result.exit_code == 2 and "--method qlora needs a CUDA GPU" in result.stderr


def test_auto_is_lora_on_cpu():
    assert trainer.pick_method("auto") == ("qlora" if torch.cuda.is_available() else "lora")


def test_it_needs_a_select_directory(example_stages, tmp_path):
    with pytest.raises(InputError, match="select"):
        finetune.run(example_stages["cluster"], tmp_path / "out")


def test_model_swaps_the_base_while_cluster_picks_the_clusters():
    selection = {
        "clusters": [
            {"id": 0, "decision": "specialise", "candidates": [{"model": "Qwen3-0.6B"}]},
            {"id": 1, "decision": "stay_on_llm", "reason": "too few records", "candidates": []},
            {"id": -1, "decision": "stay_on_llm", "candidates": []},
        ]
    }
    todo, skipped = finetune.plan(selection, FinetuneConfig())
    assert [(t["id"], t["model"]) for t in todo] == [(0, "Qwen3-0.6B")]
    assert {s["id"]: s["reason"] for s in skipped}[1] == "too few records"

    todo, _ = finetune.plan(selection, FinetuneConfig(model="my/model"))
    assert [(t["id"], t["model"]) for t in todo] == [(0, "my/model")]

    todo, _ = finetune.plan(selection, FinetuneConfig(model="my/model", clusters=[1]))
    assert [(t["id"], t["model"]) for t in todo] == [(1, "my/model")]
    with pytest.raises(InputError, match="cluster 7: not in selection.json"):
        finetune.plan(selection, FinetuneConfig(clusters=[7]))


def test_two_processes_under_torchrun_train_one_adapter_and_one_writes_the_stage(
    example_stages, small_tiny_model, tmp_path
):
    """Data parallel on CPU (gloo), launched as `accelerate launch`/`torchrun` would on GPUs."""
    import os
    import socket
    import subprocess
    import sys

    routing, _ = cluster_ids(example_stages["select"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
        "--master-addr", "127.0.0.1", "--master-port", str(port),
        "-m", "slmconvert", "finetune", str(example_stages["select"]), "-o", str(out),
        "--model", str(small_tiny_model), "--cluster", str(routing), "--method", "lora",
        "--max-steps", "2", "--max-train", "4", "--batch-size", "2", "--threads", "1",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)

    assert run.returncode == 0, run.stderr[-2000:]
    doc = orjson.loads((out / "finetune.json").read_bytes())
    (info,) = doc["clusters"]
    assert info["id"] == routing and info["steps"] == 2 and info["processes"] == 2
    assert (out / info["path"] / "adapter_model.safetensors").exists()
    assert run.stdout.count("clusters trained") <= 1  # the summary comes from the main process
    assert not (tmp_path / ".ddp.work").exists()


def test_a_cluster_s_media_calls_are_skipped_and_counted_by_the_stage(
    example_stages, small_tiny_model, tmp_path
):
    """--media skip in the stage itself: a call holding an image never reaches the trainer."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from slmconvert.core.records import SCHEMA

    routing, _ = cluster_ids(example_stages["select"])
    select = tmp_path / "select"
    shutil.copytree(example_stages["select"], select)
    shard = sorted((select / "data").glob("*.parquet"))[0]
    rows = pq.read_table(shard).to_pylist()
    train = [r for r in rows if r["cluster_id"] == routing and r["split"] == "train"][:3]
    for row in train:
        row["messages"][-1]["media"] = ["image"]
        row["has_media"] = True
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), shard)

    result = finetune.run(select, tmp_path / "out", config_for(small_tiny_model, [routing]))

    (info,) = orjson.loads((tmp_path / "out" / "finetune.json").read_bytes())["clusters"]
    assert info["skipped"] == {finetune.MEDIA_SKIPPED: 3}
    assert result.counts["examples"] == info["examples"]
