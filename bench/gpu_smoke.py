"""GPU smoke run: QLoRA on a Qwen3-0.6B-shaped model, then eval on CUDA, in a few minutes.

Builds a randomly initialised model with Qwen3-0.6B's shape (hidden 1024, 28 layers, 16 query
and 8 KV heads of 128, MLP 3072, vocabulary 151,936, tied embeddings), gives it the tiny test
tokenizer with the Qwen3-shaped chat template (``tests/fixtures/templates/qwen3.jinja``),
fine-tunes it for ``--steps`` steps on the example logs' tool-calling records through
slmconvert's own trainer (QLoRA when bitsandbytes imports, else LoRA on CUDA, and it says
so), then generates for held-out prompts through eval's engine. It writes tokens/s, peak
memory, the memory estimate (``catalog.memory``) against the measured peak, and eval latency
to ``--out`` (markdown).

    bash bench/gpu_smoke.sh              # on the GPU machine (see that script)
    python bench/gpu_smoke.py --cpu --steps 2 --out /tmp/gpu.md   # the same path on CPU
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QWEN3_0_6B = {
    "hidden_size": 1024, "num_hidden_layers": 28, "num_attention_heads": 16,
    "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 3072,
    "vocab_size": 151_936, "tie_word_embeddings": True, "max_position_embeddings": 4096,
}  # fmt: skip


def build_model(path: Path, cpu: bool) -> float:
    """A random Qwen3-0.6B-shaped model (smaller on ``cpu``) with the tiny tokenizer; returns
    its parameters in billions."""
    import torch
    from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

    from slmconvert.training.models import tiny_model_path

    shape = dict(QWEN3_0_6B)
    if cpu:
        shape.update(hidden_size=128, num_hidden_layers=2, intermediate_size=384, vocab_size=4096)
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(Qwen3Config(**shape))
    model.save_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path())
    tokenizer.chat_template = (ROOT / "tests/fixtures/templates/qwen3.jinja").read_text()
    tokenizer.save_pretrained(path)
    return sum(p.numel() for p in model.parameters()) / 1e9


def records(n: int) -> list[dict]:
    """Tool-calling records from the example logs (collect's parsers, no pii: no personal
    data leaves this machine, and the logs are generated)."""
    from slmconvert.core.config import CollectConfig
    from slmconvert.core.stagedir import open_input
    from slmconvert.stages import collect

    out = Path(tempfile.mkdtemp()) / "collect"
    collect.run([str(ROOT / "examples" / "logs")], out, CollectConfig(workers=1))
    rows = open_input(out).read_table().to_pylist()
    return [r for r in rows if (r["response"].get("tool_calls") or [])][:n]


def main() -> None:
    """Train, evaluate, write the markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--cpu", action="store_true", help="a scaled-down dry run on CPU")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "gpu.md")
    args = ap.parse_args()
    started = time.perf_counter()

    import torch

    from slmconvert.catalog import memory
    from slmconvert.core.config import EvalConfig, FinetuneConfig, plain
    from slmconvert.evaluation.engines import transformers_engine
    from slmconvert.training import examples as ex
    from slmconvert.training.models import ModelRef, device, load_adapted, load_tokenizer
    from slmconvert.training.trainer import TrainSettings, train

    cuda = torch.cuda.is_available() and not args.cpu
    try:
        import bitsandbytes  # noqa: F401

        method = "qlora" if cuda else "lora"
    except ImportError:
        method = "lora"
    work = Path(tempfile.mkdtemp())
    params_b = build_model(work / "model", cpu=not cuda)
    ref = ModelRef("qwen3-0.6b-shaped", str(work / "model"))
    tokenizer = load_tokenizer(ref)
    rows = records(args.batch * 6)
    train_rows, held_out = rows[: args.batch * 4], rows[args.batch * 4 :]
    encoded = [e for r in train_rows if (e := ex.encode(tokenizer, r, args.seq_len, "truncate"))]
    config = FinetuneConfig(
        method=method, max_steps=args.steps, batch_size=args.batch, max_seq_len=args.seq_len,
        save_steps=max(args.steps, 1), threads=0,
    )  # fmt: skip
    settings = plain(TrainSettings, config)
    result = train(
        ref, encoded, settings, method, work / "train", work / "adapter", None, tokenizer
    )

    from transformers import AutoConfig

    model_config = AutoConfig.from_pretrained(work / "model")
    longest = max(len(e.input_ids) for e in encoded)
    shape = memory.Shape(params_b, model_config.hidden_size, model_config.num_hidden_layers,
                         model_config.vocab_size, model_config.num_key_value_heads,
                         model_config.head_dim, None, model_config.tie_word_embeddings)  # fmt: skip
    setup = memory.TrainSetup(method, args.batch if cuda else 1, longest, config.lora_r,
                              checkpointing=method == "qlora", compute_bytes=2 if cuda else 4,
                              cuda=cuda)  # fmt: skip
    estimate = memory.train_gb(shape, setup)

    model, tok = load_adapted(ref, work / "adapter", "adapter", on=device())
    prompts = [ex.render_prompt(tok, r) for r in held_out]
    engine = transformers_engine(model, tok, EvalConfig(batch_size=8, max_new_tokens=64))
    answers = [a for [a] in engine(prompts, 1, None)]
    latency = statistics.median(a.latency_ms for a in answers) if answers else float("nan")
    card = torch.cuda.get_device_name(0) if cuda else "CPU (dry run, scaled-down shape)"
    lines = [
        "# bench/gpu_smoke.py — fine-tune and eval on the GPU",
        "",
        f"Run: `bash bench/gpu_smoke.sh`, {time.strftime('%Y-%m-%d')}, {card}. Random "
        "Qwen3-0.6B-shaped model, Qwen3-shaped chat template, the example logs' tool calls.",
        "",
        "| what | value |",
        "|---|---|",
        f"| method | {method}{'' if method == 'qlora' or not cuda else ' (bitsandbytes missing)'} |",
        f"| steps × batch | {result.steps} × {config.batch_size} |",
        f"| longest example | {longest} tokens |",
        f"| training tokens/s | {result.tokens_per_s:,.0f} |",
        f"| peak memory, measured | {result.peak_memory_mb / 1024:.2f} GiB |",
        f"| peak memory, estimated (`catalog.memory`) | {estimate * 1e9 / 2**30:.2f} GiB |",
        f"| measured / estimated | {result.peak_memory_mb * 2**20 / (estimate * 1e9):.2f} |",
        f"| eval: prompts, median latency per call (batch 8) | {len(answers)}, {latency:.0f} ms |",
        f"| wall time | {time.perf_counter() - started:.0f} s |",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
