"""Footprint formulas: memory to serve and to QLoRA-train a catalog model, and serving cost.

Every figure here is an estimate from a stated formula over the catalog's fields, so a user can
check it by hand and a user catalog gets the same treatment as the bundled one. Sizes are in GB
(10^9 bytes); ``params_b`` is the parameter count in billions.

- bf16 inference  = params_b × 2 bytes × 1.2 (KV cache, activations, CUDA context)
- 4-bit inference = params_b × 0.5 bytes × 1.2 + 0.5 GB (quantisation constants, context)
- QLoRA training, batch 1, gradient checkpointing, LoRA rank 16 on all seven linear projections:

  - base weights, NF4:    params_b × 0.5 bytes
  - LoRA parameters:      20 × rank × hidden_size × num_layers (r·(in+out) summed over
                          q, k, v, o, gate, up, down of a GQA block with MLP width ≈ 3.5 × hidden)
  - LoRA states:          16 bytes per LoRA parameter (fp32 weight, gradient, Adam m and v)
  - activations:          seq_len × hidden_size × (2 × num_layers + 34) bytes (one bf16 hidden
                          state kept per layer, plus one layer's full activations during recompute)
  - logits:               seq_len × vocab_size × 6 bytes (bf16 logits and their fp32 upcast for
                          the loss), when the catalog gives vocab_size
  - overhead:             1.0 GB (CUDA context, allocator fragmentation)

- serving cost per million tokens = gpu_hour_usd / (tokens_per_second × 3600) × 10^6, with
  tokens_per_second = min(tokens_per_second_1b / params_b, max_tokens_per_second): batched decode
  is bound by memory bandwidth, so throughput falls roughly in proportion to model size.
"""

from __future__ import annotations

GB = 1e9
INFERENCE_OVERHEAD = 1.2
FOUR_BIT_FIXED_GB = 0.5
LORA_RANK = 16
LORA_MATRIX_FACTOR = 20
LORA_BYTES_PER_PARAM = 16
ACTIVATION_BYTES_PER_LAYER = 2
ACTIVATION_RECOMPUTE_BYTES = 34
LOGIT_BYTES = 6
TRAIN_OVERHEAD_GB = 1.0


def inference_bf16_gb(params_b: float) -> float:
    """Memory to serve in bf16: ``params_b × 2 bytes × 1.2``."""
    return params_b * 2 * INFERENCE_OVERHEAD


def inference_4bit_gb(params_b: float) -> float:
    """Memory to serve with 4-bit weights: ``params_b × 0.5 bytes × 1.2 + 0.5 GB``."""
    return params_b * 0.5 * INFERENCE_OVERHEAD + FOUR_BIT_FIXED_GB


def lora_params(hidden_size: int, num_layers: int, rank: int = LORA_RANK) -> int:
    """Trainable LoRA parameters on all seven linear projections: ``20 × r × hidden × layers``."""
    return LORA_MATRIX_FACTOR * rank * hidden_size * num_layers


def qlora_train_breakdown(
    params_b: float,
    hidden_size: int,
    num_layers: int,
    seq_len: int,
    vocab_size: int | None = None,
    rank: int = LORA_RANK,
) -> dict[str, float]:
    """The QLoRA training memory terms in GB (see the module docstring), and their ``total``."""
    seq_len = max(int(seq_len), 1)
    parts = {
        "weights_nf4": params_b * 0.5,
        "lora_states": lora_params(hidden_size, num_layers, rank) * LORA_BYTES_PER_PARAM / GB,
        "activations": seq_len
        * hidden_size
        * (ACTIVATION_BYTES_PER_LAYER * num_layers + ACTIVATION_RECOMPUTE_BYTES)
        / GB,
        "logits": seq_len * (vocab_size or 0) * LOGIT_BYTES / GB,
        "overhead": TRAIN_OVERHEAD_GB,
    }
    parts["total"] = sum(parts.values())
    return parts


def qlora_train_gb(
    params_b: float,
    hidden_size: int,
    num_layers: int,
    seq_len: int,
    vocab_size: int | None = None,
    rank: int = LORA_RANK,
) -> float:
    """Memory to QLoRA-train at batch 1 and ``seq_len`` tokens (see the module docstring)."""
    return qlora_train_breakdown(params_b, hidden_size, num_layers, seq_len, vocab_size, rank)[
        "total"
    ]


def tokens_per_second(params_b: float, tokens_per_second_1b: float, cap: float) -> float:
    """Batched decode throughput on one GPU: ``min(tokens_per_second_1b / params_b, cap)``."""
    return min(tokens_per_second_1b / max(params_b, 1e-9), cap)


def serving_usd_per_mtok(
    params_b: float, gpu_hour_usd: float, tokens_per_second_1b: float, cap: float
) -> float:
    """Self-hosted cost per million generated tokens: GPU price over throughput."""
    tps = tokens_per_second(params_b, tokens_per_second_1b, cap)
    return gpu_hour_usd / (tps * 3600) * 1e6
