"""Records become training examples in the model's own chat template, with loss on the answer only."""

from __future__ import annotations

import orjson
import pytest
from transformers import AutoTokenizer

from slmconvert.core.records import message, new_record, tool, tool_call
from slmconvert.evaluation import parse, reference_answer
from slmconvert.training.examples import IGNORE, encode, render_prompt

SOURCE = {"format": "openai", "file": "agent.jsonl", "line": 1}
ORDER_TOOL = tool(
    "ToOrderStatusAssistant",
    "Delegates queries about orders.",
    {
        "type": "object",
        "properties": {"query": {"type": "string"}, "user_id": {"type": "string"}},
        "required": ["query", "user_id"],
    },
)
ARGS = {"query": "Status of order ORD-2025-004812", "user_id": "42"}


def routing_call() -> dict:
    return new_record(
        source=SOURCE,
        messages=[
            message("system", "You are the NVIDIA Gear Store router."),
            message("user", "Where is my order ORD-2025-004812?"),
        ],
        tools=[ORDER_TOOL],
        response=message("assistant", tool_calls=[tool_call("ToOrderStatusAssistant", ARGS)]),
    )


def second_step_call() -> dict:
    """The call after a tool result: the prompt holds an earlier assistant turn."""
    return new_record(
        source=SOURCE,
        messages=[
            message("user", "Where is my order ORD-2025-004812?"),
            message("assistant", tool_calls=[tool_call("ToOrderStatusAssistant", ARGS, id="c1")]),
            message("tool", '{"status": "shipped"}', tool_call_id="c1"),
        ],
        tools=[ORDER_TOOL],
        response=message("assistant", "Your order ORD-2025-004812 has shipped."),
    )


@pytest.fixture(scope="module")
def tokenizer(small_tiny_model):
    return AutoTokenizer.from_pretrained(small_tiny_model)


def answer_text(tokenizer, encoded) -> str:
    return tokenizer.decode([i for i in encoded.labels if i != IGNORE])


def test_the_unmasked_tokens_are_exactly_the_tool_call_answer(tokenizer):
    encoded = encode(tokenizer, routing_call(), max_len=2048)

    expected = (
        '<tool_call>\n{"name": "ToOrderStatusAssistant", "arguments": '
        + orjson.dumps(ARGS).decode().replace(",", ", ").replace(":", ": ")
        + "}\n</tool_call><|im_end|>"
    )
    assert answer_text(tokenizer, encoded) == expected


def test_earlier_assistant_turns_in_the_prompt_carry_no_loss(tokenizer):
    encoded = encode(tokenizer, second_step_call(), max_len=2048)

    assert answer_text(tokenizer, encoded) == "Your order ORD-2025-004812 has shipped.<|im_end|>"
    assert "ToOrderStatusAssistant" in tokenizer.decode(encoded.input_ids)


def test_the_prompt_eval_renders_is_the_training_example_up_to_the_answer(tokenizer):
    record = routing_call()
    encoded = encode(tokenizer, record, max_len=2048)
    first_answer_token = next(n for n, label in enumerate(encoded.labels) if label != IGNORE)

    prompt = render_prompt(tokenizer, record)

    assert tokenizer.decode(encoded.input_ids[:first_answer_token]) == prompt


def test_templates_without_tools_get_the_documented_fallback_and_eval_parses_it(tokenizer):
    record = routing_call()
    encoded = encode(tokenizer, record, max_len=2048, profile="text")
    text = tokenizer.decode(encoded.input_ids)

    assert "# Tools" in text and '"name":"ToOrderStatusAssistant"' in text
    answer = answer_text(tokenizer, encoded)
    assert parse(answer, "hermes") == reference_answer(record["response"])


def test_overlong_examples_are_dropped_or_truncated_from_the_left(tokenizer):
    record = routing_call()
    full = encode(tokenizer, record, max_len=4096)
    limit = len(full.input_ids) - 10

    assert encode(tokenizer, record, max_len=limit, overflow="drop") is None
    cut = encode(tokenizer, record, max_len=limit, overflow="truncate")
    assert cut.truncated and len(cut.input_ids) == limit
    assert answer_text(tokenizer, cut) == answer_text(tokenizer, full)
    # an answer longer than the limit on its own cannot be truncated
    assert encode(tokenizer, record, max_len=5, overflow="truncate") is None


def photo_call() -> dict:
    """A support call whose user sent a photo: the record keeps only the kind of the part."""
    return new_record(
        source=SOURCE,
        messages=[message("user", "Is this the right charger?", media=["image"])],
        response=message("assistant", "Yes, that is the 65 W charger."),
    )


def test_a_media_turn_is_trained_with_a_placeholder_where_the_image_was(tokenizer):
    prompt = render_prompt(tokenizer, photo_call())
    assert "<image>\nIs this the right charger?" in prompt


def test_finetune_skips_media_calls_by_default_and_counts_them(tokenizer):
    from slmconvert.core.config import FinetuneConfig
    from slmconvert.stages.finetune import MEDIA_SKIPPED, _encode_all
    from slmconvert.training.models import ModelRef
    from slmconvert.training.templates import profile_for

    rows, ref = [photo_call(), routing_call()], ModelRef("tiny", "tiny")
    profile = profile_for(tokenizer)

    kept, _, _, skipped = _encode_all(tokenizer, rows, FinetuneConfig(), profile, ref)
    assert len(kept) == 1 and skipped == {MEDIA_SKIPPED: 1}

    config = FinetuneConfig(media="placeholder")
    kept, _, _, skipped = _encode_all(tokenizer, rows, config, profile, ref)
    assert len(kept) == 2 and not skipped
