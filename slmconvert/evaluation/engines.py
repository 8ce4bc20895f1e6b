"""Generation engines for eval: transformers on the model's device, or vLLM's offline engine.

An engine is a function ``(prompts, samples, progress) -> list[list[Generated]]``: one list of
``samples`` answers per prompt, in prompt order (``generate.Generated``).

- ``transformers_engine(model, tokenizer, config)``: batched ``generate`` on the model's
  device; each answer timed to its own last token within its batch;
- ``vllm_engine(base, adapter, config)``: ``vllm.LLM`` with the adapter as a LoRA request
  (``--engine vllm``, when vLLM is installed; CUDA). vLLM schedules all prompts at once, so
  an answer's latency is its request's arrival-to-finish time when vLLM reports it, else the
  whole run's wall time, with ``batch_size`` the number of prompts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from slmconvert.core.errors import MissingDependencyError
from slmconvert.evaluation.generate import Generated, generate

Engine = Callable[[list[str], int, Callable | None], list[list[Generated]]]


def transformers_engine(model, tokenizer, config) -> Engine:
    """Batched generation with transformers, ``config`` an ``EvalConfig``."""

    def run(prompts: list[str], samples: int, progress=None) -> list[list[Generated]]:
        return generate(
            model, tokenizer, prompts, batch_size=config.batch_size,
            max_new_tokens=config.max_new_tokens, samples=samples,
            temperature=config.temperature, top_p=config.top_p, seed=config.seed,
            progress=progress,
        )  # fmt: skip

    return run


@lru_cache(maxsize=1)
def _llm(model: str, lora_rank: int):
    from vllm import LLM

    lora = {"enable_lora": True, "max_lora_rank": lora_rank} if lora_rank else {}
    return LLM(model=model, **lora)


def vllm_engine(base: str, adapter: Path | None, config, lora_rank: int = 0) -> Engine:
    """vLLM's offline engine on ``base``, with ``adapter`` (a PEFT directory) as LoRA."""
    try:
        from vllm import SamplingParams
        from vllm.lora.request import LoRARequest
    except ImportError:
        raise MissingDependencyError("vllm", "eval --engine vllm") from None
    from slmconvert.deploy.serve import vllm_rank  # the ranks vllm.sh serves with

    llm = _llm(base, vllm_rank(lora_rank) if adapter is not None else 0)
    request = LoRARequest("adapter", 1, str(adapter)) if adapter is not None else None

    def run(prompts: list[str], samples: int, progress=None) -> list[list[Generated]]:
        params = SamplingParams(
            n=samples, max_tokens=config.max_new_tokens, seed=config.seed,
            temperature=config.temperature if samples > 1 else 0.0,
            top_p=config.top_p if samples > 1 else 1.0, skip_special_tokens=False,
        )  # fmt: skip
        t0 = time.perf_counter()
        outs = llm.generate(prompts, params, lora_request=request, use_tqdm=False)
        wall = round((time.perf_counter() - t0) * 1000, 1)
        if progress:
            progress(len(prompts), len(prompts))
        return [[_answer(o, c, wall, len(prompts)) for c in o.outputs] for o in outs]

    return run


def _answer(output, completion, wall_ms: float, batch: int) -> Generated:
    metrics = getattr(output, "metrics", None)
    start = getattr(metrics, "arrival_time", None)
    end = getattr(metrics, "finished_time", None) or getattr(metrics, "last_token_time", None)
    latency = round((end - start) * 1000, 1) if start and end else wall_ms
    return Generated(completion.text, len(completion.token_ids), latency, batch)
