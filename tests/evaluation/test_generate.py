"""Batched generation on the model's device, with each call's own latency within its batch."""

from __future__ import annotations

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from slmconvert.evaluation.generate import generate


@pytest.fixture(scope="module")
def model_and_tokenizer(small_tiny_model):
    return (
        AutoModelForCausalLM.from_pretrained(small_tiny_model),
        AutoTokenizer.from_pretrained(small_tiny_model),
    )


def test_each_answer_is_timed_to_its_own_last_token_within_its_batch(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    prompts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": text}], add_generation_prompt=True, tokenize=False
        )
        for text in ("Where is my order?", "Hi", "Please summarise the ticket below in one line.")
    ]

    answers = [a for [a] in generate(model, tokenizer, prompts, batch_size=3, max_new_tokens=24)]

    assert {a.batch_size for a in answers} == {3}
    by_length = sorted(answers, key=lambda a: a.tokens)
    assert all(x.latency_ms <= y.latency_ms for x, y in zip(by_length, by_length[1:], strict=False))
    assert all(a.latency_ms > 0 for a in answers)


def test_the_vllm_engine_needs_vllm_and_says_so():
    import importlib.util

    from slmconvert.core.config import EvalConfig
    from slmconvert.core.errors import MissingDependencyError
    from slmconvert.evaluation.engines import vllm_engine

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    with pytest.raises(MissingDependencyError, match="vllm"):
        vllm_engine("Qwen/Qwen3-0.6B", None, EvalConfig(engine="vllm"))
