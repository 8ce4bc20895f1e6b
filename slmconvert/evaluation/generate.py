"""Batched generation for eval: greedy answers, or K sampled answers per prompt for SCG voting."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Generated:
    """One generated answer: its text (up to the end-of-turn token), token count, latency.

    ``latency_ms`` is the time from the batch's start to this answer's last token, generated
    in a batch of ``batch_size`` prompts (what a caller of a batching server sees)."""

    text: str
    tokens: int
    latency_ms: float
    batch_size: int = 1


def _step_clock():
    """A logits processor that notes the time of every decoding step (it changes nothing)."""
    import time as _time

    times: list[float] = []

    def clock(input_ids, scores):
        times.append(_time.perf_counter())
        return scores

    return clock, times


def _stop_ids(model, tokenizer) -> set[int]:
    eos = getattr(model.generation_config, "eos_token_id", None)
    ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    if tokenizer.pad_token_id is not None:
        ids.add(tokenizer.pad_token_id)
    return ids


def generate(
    model,
    tokenizer,
    prompts: list[str],
    *,
    batch_size: int = 8,
    max_new_tokens: int = 256,
    samples: int = 1,
    temperature: float = 0.4,
    top_p: float = 0.8,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[Generated]]:
    """``samples`` answers per prompt (greedy when 1), in prompt order, on the model's device.

    Each answer's latency runs to its own last token within its batch (``Generated``).
    """
    import torch
    from transformers import LogitsProcessorList

    tokenizer.padding_side = "left"
    stop = _stop_ids(model, tokenizer)
    model.eval()
    torch.manual_seed(seed)
    out: list[list[Generated]] = []
    sampling = (
        {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}
        if samples > 1
        else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    )
    for start in range(0, len(prompts), batch_size):
        batch = prompts[start : start + batch_size]
        enc = tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False)
        enc = enc.to(model.device)
        clock, times = _step_clock()
        t0 = time.perf_counter()
        with torch.inference_mode():
            ids = model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                num_return_sequences=samples,
                pad_token_id=tokenizer.pad_token_id,
                logits_processor=LogitsProcessorList([clock]),
                **sampling,
            )
        done = time.perf_counter()
        new = ids[:, enc["input_ids"].shape[1] :].tolist()
        for i in range(len(batch)):
            answers = []
            for row in new[i * samples : (i + 1) * samples]:
                cut = next((n for n, t in enumerate(row) if t in stop), len(row))
                text = tokenizer.decode(row[:cut], skip_special_tokens=False)
                last = times[cut] if cut < len(times) else done  # the step that ended it
                latency = round((last - t0) * 1000, 1)
                answers.append(Generated(text, min(cut + 1, len(row)), latency, len(batch)))
            out.append(answers)
        if progress:
            progress(min(start + batch_size, len(prompts)), len(prompts))
    return out
