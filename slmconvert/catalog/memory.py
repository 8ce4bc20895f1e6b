"""Footprint formulas: memory to serve and to fine-tune a catalog model, and serving cost.

Every figure here is an estimate from a stated formula over the catalog's fields and the
finetune settings, so a user can check it by hand (``docs/select.md`` works one through) and a
user catalog gets the same treatment as the bundled one. Sizes are in GB (10^9 bytes);
``params_b`` is the parameter count in billions; ``b`` the micro-batch, ``s`` the sequence
length the trainer pads or cuts to (finetune's ``max_seq_len``), ``h`` the hidden size, ``L``
the layers, ``V`` the vocabulary, ``c`` the compute dtype's bytes (2 for bf16/fp16, 4 for fp32).

- serving, bf16      = params_b × 2 + KV cache + 10 % (when the catalog gives
                       ``num_key_value_heads`` and ``head_dim``; else params_b × 2 × 1.2)
- serving, 4-bit     = params_b × 0.5 × 1.2 + 0.5 GB
- KV cache           = 2 × attention layers × kv heads × head_dim × 2 bytes × tokens × sequences
                       (hybrid models such as Nemotron-H keep KV only in their attention layers)
- fine-tuning (``train_breakdown``), LoRA rank r on all seven linear projections:

  - weights:     QLoRA: (params_b − embeddings) × 0.5 (NF4) + embeddings × 4 (embeddings and
                 an untied ``lm_head`` stay unquantised and are cast to fp32 by PEFT's
                 ``prepare_model_for_kbit_training``); LoRA: params_b × c
  - LoRA states: 20 × r × h × L parameters × 16 bytes (fp32 weight, gradient, Adam m and v)
  - activations: with gradient checkpointing, one hidden state per layer and one layer's full
                 activations during recompute: b × s × h × c × (L + 17); without it, every
                 layer's: b × s × h × c × 17 × L. On CPU (no fused kernels) 24 instead of 17,
                 plus eager attention's scores and probabilities, b × heads × s² × c × 2 a layer
  - logits:      b × s × V × (c + 8) (the logits, the fp32 log-softmax the loss keeps, and
                 its gradient)
  - overhead:    1.0 GB on CUDA (context, allocator), 0 on CPU

- serving cost per million tokens = gpu_hour_usd / (tokens_per_second × 3600) × 10^6, with
  tokens_per_second = min(tokens_per_second_1b / params_b, max_tokens_per_second): batched decode
  is bound by memory bandwidth, so throughput falls roughly in proportion to model size.
"""

from __future__ import annotations

from dataclasses import dataclass

GB = 1e9
INFERENCE_OVERHEAD = 1.2
KV_OVERHEAD = 1.1
FOUR_BIT_FIXED_GB = 0.5
LORA_RANK = 16
LORA_MATRIX_FACTOR = 20
LORA_BYTES_PER_PARAM = 16
LAYER_ACTIVATION_VALUES = 17
"""Values per token and hidden unit one decoder layer keeps for its backward pass with fused
kernels (flash/SDPA attention, fused norms and SwiGLU) on CUDA: 34 bytes at bf16."""
EAGER_LAYER_ACTIVATION_VALUES = 24
"""The same without fused kernels (CPU): both norms' inputs and outputs, q, k, v before and
after rotary, the attention output, and gate, up, SiLU(gate) and their product in the
3.5×-wide MLP (about 14 of the 24)."""
LOSS_BYTES = 8
"""Per logit beyond the logits themselves: the fp32 log-softmax the loss keeps and its
gradient."""
CUDA_OVERHEAD_GB = 1.0


@dataclass(frozen=True)
class Shape:
    """What the formulas need of a model (``ModelSpec`` fields; optional ones may be None)."""

    params_b: float
    hidden_size: int
    num_layers: int
    vocab_size: int | None = None
    num_key_value_heads: int | None = None
    head_dim: int | None = None
    attention_layers: int | None = None
    tie_word_embeddings: bool | None = None

    @property
    def embedding_b(self) -> float:
        """Embedding (and untied lm_head) parameters, in billions; untied when unknown."""
        copies = 1 if self.tie_word_embeddings else 2
        return (self.vocab_size or 0) * self.hidden_size * copies / 1e9


@dataclass(frozen=True)
class TrainSetup:
    """How finetune trains: ``qlora`` or ``lora``, micro-batch, sequence length, rank, whether
    activations are recomputed, compute bytes, and whether it runs on CUDA."""

    method: str = "qlora"
    micro_batch: int = 8
    seq_len: int = 2048
    rank: int = LORA_RANK
    checkpointing: bool = True
    compute_bytes: int = 2
    cuda: bool = True

    @property
    def layer_values(self) -> int:
        """Activation values per token and hidden unit per layer (fused kernels on CUDA)."""
        return LAYER_ACTIVATION_VALUES if self.cuda else EAGER_LAYER_ACTIVATION_VALUES


def inference_bf16_gb(params_b: float) -> float:
    """Memory to serve in bf16 without KV figures: ``params_b × 2 bytes × 1.2``."""
    return params_b * 2 * INFERENCE_OVERHEAD


def inference_4bit_gb(params_b: float) -> float:
    """Memory to serve with 4-bit weights: ``params_b × 0.5 bytes × 1.2 + 0.5 GB``."""
    return params_b * 0.5 * INFERENCE_OVERHEAD + FOUR_BIT_FIXED_GB


def kv_cache_gb(shape: Shape, tokens: int, sequences: int = 1) -> float | None:
    """KV cache for ``sequences`` of ``tokens`` in bf16; None without KV-head figures."""
    if not shape.num_key_value_heads or not shape.head_dim:
        return None
    layers = shape.attention_layers or shape.num_layers
    per_token = 2 * layers * shape.num_key_value_heads * shape.head_dim * 2
    return per_token * tokens * sequences / GB


def serving_bf16_gb(shape: Shape, tokens: int, sequences: int = 8) -> float:
    """bf16 weights plus the KV cache of ``sequences`` concurrent ``tokens``-long calls."""
    kv = kv_cache_gb(shape, tokens, sequences)
    if kv is None:
        return inference_bf16_gb(shape.params_b)
    return (shape.params_b * 2 + kv) * KV_OVERHEAD


def lora_params(hidden_size: int, num_layers: int, rank: int = LORA_RANK) -> int:
    """Trainable LoRA parameters on all seven linear projections: ``20 × r × hidden × layers``."""
    return LORA_MATRIX_FACTOR * rank * hidden_size * num_layers


def train_breakdown(shape: Shape, setup: TrainSetup) -> dict[str, float]:
    """The fine-tuning memory terms in GB (see the module docstring), and their ``total``."""
    b, s, h, c = (
        setup.micro_batch,
        max(int(setup.seq_len), 1),
        shape.hidden_size,
        setup.compute_bytes,
    )
    if setup.method == "qlora":
        embed = min(shape.embedding_b, shape.params_b)
        weights = (shape.params_b - embed) * 0.5 + embed * 4
    else:
        weights = shape.params_b * c
    kept = 1 if setup.checkpointing else shape.num_layers  # layers holding full activations
    values = setup.layer_values
    activations = b * s * h * c * (values * kept + (shape.num_layers if setup.checkpointing else 0))
    if not setup.cuda and shape.head_dim:  # eager attention keeps scores and probabilities
        activations += b * (h // shape.head_dim) * s * s * c * 2 * kept
    parts = {
        "weights": weights,
        "lora_states": lora_params(h, shape.num_layers, setup.rank) * LORA_BYTES_PER_PARAM / GB,
        "activations": activations / GB,
        "logits": b * s * (shape.vocab_size or 0) * (c + LOSS_BYTES) / GB,
        "overhead": CUDA_OVERHEAD_GB if setup.cuda else 0.0,
    }
    parts["total"] = sum(parts.values())
    return parts


def train_gb(shape: Shape, setup: TrainSetup) -> float:
    """Memory to fine-tune ``shape`` the way ``setup`` says (``train_breakdown``'s total)."""
    return train_breakdown(shape, setup)["total"]


def tokens_per_second(params_b: float, tokens_per_second_1b: float, cap: float) -> float:
    """Batched decode throughput on one GPU: ``min(tokens_per_second_1b / params_b, cap)``."""
    return min(tokens_per_second_1b / max(params_b, 1e-9), cap)


def serving_usd_per_mtok(
    params_b: float, gpu_hour_usd: float, tokens_per_second_1b: float, cap: float
) -> float:
    """Self-hosted cost per million generated tokens: GPU price over throughput."""
    tps = tokens_per_second(params_b, tokens_per_second_1b, cap)
    return gpu_hour_usd / (tps * 3600) * 1e6
