"""Fine-tuning speed and memory: slmconvert's training path against the obvious trl script.

    python bench/finetune.py [--steps 20] [--large-steps 2] [--seq-len 256] [--no-large]

Rows, on whatever machine it runs (CPU or CUDA):

* the tiny test model, full fine-tune on the example logs' routing calls: ours (one example per
  forward pass on CPU, accumulated to the batch; padded batches on CUDA) against the naive way,
  trl's SFTTrainer with ``per_device_train_batch_size = batch`` (padded batches);
* a model of Qwen3-0.6B's shape (random weights from its config, no hub): LoRA on CPU, QLoRA
  (NF4, double quantisation) on CUDA, against plain bf16/fp32 LoRA as the naive way.

Prints tokens/s, seconds per optimiser step and peak memory (RSS on CPU, allocated on CUDA).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slmconvert.core.config import FinetuneConfig, plain  # noqa: E402
from slmconvert.training import examples as ex  # noqa: E402
from slmconvert.training import trainer  # noqa: E402
from slmconvert.training.models import ModelRef, load_tokenizer, tiny_model_path  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "logs" / "flywheel.openai.jsonl.gz"
QWEN3_06B = dict(
    vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
    num_attention_heads=16, num_key_value_heads=8, head_dim=128, max_position_embeddings=40960,
    rope_theta=1000000, tie_word_embeddings=True,
)  # fmt: skip


def routing_records(work: Path, n: int) -> list[dict]:
    """Tool-calling records from the example logs, through the real collect stage."""
    from slmconvert.stages import collect

    result = collect.run([str(EXAMPLES)], work / "collect")
    rows = [r for batch in _batches(result.output) for r in batch if r["tools"]]
    return rows[:n]


def _batches(path: Path):
    from slmconvert.core.stagedir import open_input

    yield from open_input(path, expect=("collect",)).iter_batches()


def qwen3_shaped(tiny: Path, out: Path) -> Path:
    """Random weights in Qwen3-0.6B's shape, saved with the tiny tokenizer (ids fit its vocab)."""
    import shutil

    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(0)
    model = Qwen3ForCausalLM(Qwen3Config(**QWEN3_06B))
    if torch.cuda.is_available():  # fp32 on CPU: what LoRA there trains against
        model = model.to(torch.bfloat16)
    model.save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (tiny / name).exists():
            shutil.copyfile(tiny / name, out / name)
    return out


def ours(ref, encoded, config, method, work) -> dict:
    settings = plain(trainer.TrainSettings, config)
    result = trainer.train(ref, encoded, settings, method, work, work / "saved")
    tokens = result.tokens
    return {"tokens_per_s": result.tokens_per_s, "step_s": result.wall_s / max(result.steps, 1),
            "peak_mb": result.peak_memory_mb, "tokens": tokens}  # fmt: skip


def naive(ref, encoded, config, work, quantize=False) -> dict:
    """The obvious trl script: padded batches of ``batch_size``, default settings."""
    import resource

    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers.trainer_callback import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    from slmconvert.training.models import load_model

    cuda = torch.cuda.is_available()
    model = load_model(ref, quantize_4bit=quantize, dtype=torch.bfloat16 if cuda else None)
    data = Dataset.from_dict(
        {"input_ids": [e.input_ids for e in encoded], "labels": [e.labels for e in encoded]}
    )
    peft = None
    if config.method != "full":
        peft = LoraConfig(
            r=config.lora_r, lora_alpha=config.lora_alpha, target_modules="all-linear"
        )
    args = SFTConfig(
        output_dir=str(work / "naive"), per_device_train_batch_size=config.batch_size,
        max_steps=config.max_steps, learning_rate=config.learning_rate, report_to="none",
        disable_tqdm=True, save_strategy="no", bf16=cuda, use_cpu=not cuda, logging_steps=1,
        include_num_input_tokens_seen="non_padding",
    )  # fmt: skip
    sft = SFTTrainer(model=model, args=args, train_dataset=data, peft_config=peft)
    sft.remove_callback(PrinterCallback)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    sft.train()
    wall = time.perf_counter() - t0
    tokens = int(sft.state.num_input_tokens_seen)
    peak = (
        torch.cuda.max_memory_allocated() / 2**20
        if cuda
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return {"tokens_per_s": tokens / wall, "step_s": wall / sft.state.global_step,
            "peak_mb": peak, "tokens": tokens}  # fmt: skip


def row(name: str, how: str, m: dict) -> str:
    return (
        f"{name:<24} {how:<34} {m['tokens_per_s']:>10,.0f} {m['step_s']:>8.2f} "
        f"{m['peak_mb']:>9,.0f}"
    )


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--large-steps", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=256, help="Qwen3-shaped rows")
    parser.add_argument("--no-large", action="store_true", help="skip the Qwen3-0.6B rows")
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name(0) if cuda else f"CPU, {os.cpu_count()} cores"
    print(f"device: {device}; torch {torch.__version__}, threads {torch.get_num_threads()}")
    header = f"{'model':<24} {'how':<34} {'tokens/s':>10} {'s/step':>8} {'peak MB':>9}"
    print(header + "\n" + "-" * len(header), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tiny = tiny_model_path(log=lambda m: print(m, file=sys.stderr))
        ref = ModelRef("tiny-test", str(tiny))
        tok = load_tokenizer(ref)
        records = routing_records(work, args.steps * args.batch_size)
        encoded = [ex.encode(tok, r, 2048) for r in records]
        config = FinetuneConfig(method="full", max_steps=args.steps, batch_size=args.batch_size,
                                learning_rate=1e-3, save_steps=10_000)  # fmt: skip
        a = ours(ref, encoded, config, "full", work / "a")
        print(row("tiny-test (0.9M)", "ours: full", a), flush=True)
        b = naive(ref, encoded, config, work / "b")
        print(row("tiny-test (0.9M)", "naive: trl, padded batches", b), flush=True)
        ratios = [("tiny-test", a["tokens_per_s"] / b["tokens_per_s"])]
        if not args.no_large:
            big = ModelRef("Qwen3-0.6B shape", str(qwen3_shaped(tiny, work / "qwen3")))
            cut = [ex.encode(tok, r, args.seq_len, "truncate") for r in records]
            cut = [e for e in cut if e is not None]
            method = "qlora" if cuda else "lora"
            large = FinetuneConfig(method=method, max_steps=args.large_steps,
                                   batch_size=args.batch_size, save_steps=10_000)  # fmt: skip
            c = ours(big, cut, large, method, work / "c")
            print(row("Qwen3-0.6B shape", f"ours: {method} (seq {args.seq_len})", c), flush=True)
            lora = large.model_copy(update={"method": "lora"})
            d = naive(big, cut, lora, work / "d")
            print(row("Qwen3-0.6B shape", "naive: trl LoRA, padded, no 4-bit", d), flush=True)
            ratios.append(("Qwen3-0.6B shape", c["tokens_per_s"] / d["tokens_per_s"]))
            print(
                f"memory, Qwen3-0.6B shape: ours {c['peak_mb']:,.0f} MB vs {d['peak_mb']:,.0f} MB"
            )
    for name, ratio in ratios:
        print(f"tokens/s ratio, ours / naive, {name}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
