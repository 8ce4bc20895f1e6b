"""Every catalog family's chat template (written here in its shape) trains and evaluates.

For each family: the answer is exactly the unmasked tokens, the tools reach the prompt, eval
reads back the call the template rendered, and what the template cannot hold (parallel calls
for Llama, long ids for Mistral, user turns in a row for Gemma) is adapted or skipped with a
reason instead of raising.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from slmconvert.core.records import message, new_record, tool, tool_call
from slmconvert.evaluation import parse
from slmconvert.training.examples import (
    IGNORE,
    Skip,
    TemplateFailure,
    conversation,
    encode,
    render_prompt,
)
from slmconvert.training.templates import PROFILES, profile_for

TEMPLATES = Path(__file__).resolve().parents[1] / "fixtures" / "templates"
FAMILIES = {
    "qwen3": "qwen3",
    "llama3": "llama3",
    "mistral": "mistral",
    "phi4_mini": "phi4-mini",
    "smollm3": "smollm3",
    "gemma3": "gemma3",
    "nemotron": "nemotron",
}
SOURCE = {"format": "openai", "file": "agent.jsonl", "line": 7}
WEATHER = tool(
    "get_weather",
    "Current weather for a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
TIME = tool("get_time", "Local time in a city.", {"type": "object", "properties": {}})


def record(answer_calls: int = 1, history_calls: int = 1, reply: bool = True) -> dict:
    """A later call: earlier tool call(s), result(s) and reply, then a tool-call answer."""
    calls = [tool_call("get_weather", {"city": "Lyon"}, id=f"call_{i}_abcdefghijk")
             for i in range(history_calls)]  # fmt: skip
    results = [message("tool", f'{{"temp_c": {18 + i}}}', tool_call_id=f"call_{i}_abcdefghijk")
               for i in range(history_calls)]  # fmt: skip
    answer = [tool_call("get_time", {"city": "Lyon"}, id="call_x_abcdefghijk"),
              tool_call("get_weather", {"city": "Nice"}, id="call_y_abcdefghijk")]  # fmt: skip
    return new_record(
        source=SOURCE,
        messages=[
            message("system", "You are a travel assistant."),
            message("user", "Weather in Lyon, then the time there?"),
            message("assistant", tool_calls=calls),
            *results,
            *([message("assistant", "It is 18 C in Lyon.")] if reply else []),
            message("user", "Thanks. And now?"),
        ],
        tools=[WEATHER, TIME],
        response=message("assistant", tool_calls=answer[:answer_calls]),
    )


@pytest.fixture(scope="module")
def base_tokenizer(small_tiny_model):
    return AutoTokenizer.from_pretrained(small_tiny_model)


@pytest.fixture(params=sorted(FAMILIES))
def family(request, base_tokenizer):
    tokenizer = copy.deepcopy(base_tokenizer)
    tokenizer.chat_template = (TEMPLATES / f"{request.param}.jinja").read_text()
    return FAMILIES[request.param], tokenizer


def test_each_template_is_recognised_as_its_family(family):
    name, tokenizer = family
    assert profile_for(tokenizer).name == name


def test_the_unmasked_tokens_are_exactly_the_answer_and_eval_reads_the_call_back(family):
    name, tokenizer = family
    rec = record()

    encoded = encode(tokenizer, rec, max_len=4096)
    prompt = render_prompt(tokenizer, rec)

    answer = tokenizer.decode([i for i in encoded.labels if i != IGNORE])
    full = tokenizer.decode(encoded.input_ids)
    assert full.startswith(prompt) or name == "mistral"  # Mistral ignores the generation prompt
    assert answer and full.endswith(answer)
    assert "get_weather" in prompt and "get_time" in prompt  # the tools reach the prompt
    parsed = parse(answer, PROFILES[name].parser)
    assert [(c.name, c.arguments) for c in parsed.calls] == [("get_time", {"city": "Lyon"})]


def test_parallel_calls_are_adapted_or_skipped_with_a_reason(family):
    name, tokenizer = family

    earlier = encode(tokenizer, record(history_calls=2), max_len=4096)  # split for Llama
    assert earlier is not None
    if name == "llama3":
        with pytest.raises(Skip, match="parallel tool calls"):
            encode(tokenizer, record(answer_calls=2), max_len=4096)
        return
    encoded = encode(tokenizer, record(answer_calls=2), max_len=4096)
    answer = tokenizer.decode([i for i in encoded.labels if i != IGNORE])
    assert [c.name for c in parse(answer, PROFILES[name].parser).calls] == [
        "get_time",
        "get_weather",
    ]


def test_mistral_gets_nine_character_ids_that_still_pair_calls_with_results():
    messages, _, _ = conversation(record(history_calls=2), "mistral")
    calls = [c["id"] for m in messages for c in m.get("tool_calls") or []]
    results = [m["tool_call_id"] for m in messages if m["role"] == "tool"]
    assert calls == results and all(len(i) == 9 and i.isalnum() for i in calls)


def test_turns_that_cannot_alternate_are_skipped_for_mistral_and_merged_for_gemma():
    unanswered = record(reply=False)  # a user turn right after a tool result

    with pytest.raises(Skip, match="alternate"):
        conversation(unanswered, "mistral")
    messages, _, _ = conversation(unanswered, "gemma3")
    roles = [m["role"] for m in messages if m["role"] != "system"]
    assert roles == ["user", "assistant", "user"]  # the result and the next turn joined


def test_thinking_is_off_wherever_the_template_takes_it(family):
    name, tokenizer = family
    prompt = render_prompt(tokenizer, record())
    if name in ("qwen3", "smollm3"):
        assert prompt.endswith(("<think>\n\n</think>\n\n", "<think>\n\n</think>\n"))
    if name == "nemotron":
        assert prompt.endswith("<think></think>")


def test_a_template_that_raises_is_a_template_failure_not_a_crash(base_tokenizer):
    tokenizer = copy.deepcopy(base_tokenizer)
    tokenizer.chat_template = (
        "{{ raise_exception('Only user and assistant roles are supported!') }}"
    )

    with pytest.raises(TemplateFailure, match="Only user and assistant roles"):
        encode(tokenizer, record(), max_len=4096)


def test_in_finetune_a_template_failure_names_the_model_and_the_record(base_tokenizer):
    from slmconvert.core.config import FinetuneConfig
    from slmconvert.core.errors import StageError
    from slmconvert.stages.finetune import _encode_all
    from slmconvert.training.models import ModelRef

    tokenizer = copy.deepcopy(base_tokenizer)
    tokenizer.chat_template = "{{ raise_exception('Conversation roles must alternate!') }}"
    ref = ModelRef("Acme-1B", "acme/acme-1b")

    with pytest.raises(StageError) as err:
        _encode_all(tokenizer, [record()], FinetuneConfig(), profile_for(tokenizer), ref)

    message = str(err.value)
    assert "Acme-1B" in message and "agent.jsonl:7" in message and "\n" not in message
