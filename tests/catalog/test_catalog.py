"""The model catalog: bundled facts, the footprint formulas, and path-precise errors."""

from __future__ import annotations

import pytest
import yaml

from slmconvert import catalog
from slmconvert.catalog import memory
from slmconvert.core.errors import ConfigError

# name: (params_b, context_length, license, native tool calling)
EXPECTED = {
    "Qwen3-0.6B": (0.6, 32768, "apache-2.0", True),
    "Qwen3-1.7B": (1.7, 32768, "apache-2.0", True),
    "Qwen3-4B": (4.0, 32768, "apache-2.0", True),
    "Phi-4-mini-instruct": (3.8, 131072, "mit", True),
    "gemma-3n-E2B-it": (5.0, 32768, "gemma", False),
    "SmolLM3-3B": (3.0, 65536, "apache-2.0", True),
    "Llama-3.2-1B-Instruct": (1.23, 131072, "llama3.2", True),
    "Llama-3.2-3B-Instruct": (3.21, 131072, "llama3.2", True),
    "NVIDIA-Nemotron-Nano-9B-v2": (9.0, 131072, "nvidia-open-model-license", True),
    "Llama-3.1-8B-Instruct": (8.03, 131072, "llama3.1", True),
    "Mistral-7B-Instruct-v0.3": (7.25, 32768, "apache-2.0", True),
    "tiny-test": (0.001, 2048, "apache-2.0", True),
}


def test_bundled_catalog_holds_the_required_models_with_card_facts():
    cat = catalog.load()

    assert cat.names() == list(EXPECTED)
    for name, (params, context, licence, tools) in EXPECTED.items():
        spec = cat.get(name)
        assert (spec.params_b, spec.context_length, spec.license, spec.tool_calling) == (
            params,
            context,
            licence,
            tools,
        )
        assert spec.languages and spec.architecture and spec.source
        assert spec.hidden_size > 0 and spec.num_layers > 0
        if name != "tiny-test":
            assert spec.source == f"https://huggingface.co/{spec.hub_id}"
    assert [m.name for m in cat.models if m.test_only] == ["tiny-test"]
    assert cat.get("tiny-test").hub_id == "local:tiny"
    assert cat.get("meta-llama/llama-3.1-8b-instruct").name == "Llama-3.1-8B-Instruct"
    assert cat.get("Llama-3.1-8B-Instruct").benchmarks == {
        "mmlu_5shot": 69.4,
        "ifeval": 80.4,
        "bfcl": 76.1,
    }
    assert cat.get("SmolLM3-3B").supports_language("de")
    assert not cat.get("SmolLM3-3B").supports_language("ja")
    assert cat.get("Qwen3-0.6B").supports_language("ja")  # "*": the card claims 100+


def test_inference_memory_formulas():
    assert memory.inference_bf16_gb(8.03) == pytest.approx(8.03 * 2 * 1.2)
    assert memory.inference_4bit_gb(1.0) == pytest.approx(0.5 * 1.2 + 0.5)
    spec = catalog.load().get("Llama-3.2-1B-Instruct")
    assert spec.inference_bf16_gb == pytest.approx(2.952)
    assert spec.inference_4bit_gb == pytest.approx(1.238)


def test_training_memory_is_the_stated_sum_at_finetunes_settings():
    spec = catalog.load().get("Qwen3-4B")
    parts = memory.train_breakdown(spec.shape, memory.TrainSetup(micro_batch=8, seq_len=2048))

    embeddings = 151_936 * 2560 / 1e9  # tied: one copy, kept in fp32 by PEFT
    assert memory.lora_params(2560, 36) == 20 * 16 * 2560 * 36
    assert parts["weights"] == pytest.approx((4.0 - embeddings) * 0.5 + embeddings * 4)
    assert parts["lora_states"] == pytest.approx(20 * 16 * 2560 * 36 * 16 / 1e9)
    assert parts["activations"] == pytest.approx(8 * 2048 * 2560 * 2 * (36 + 17) / 1e9)
    assert parts["logits"] == pytest.approx(8 * 2048 * 151_936 * 10 / 1e9)
    assert parts["total"] == pytest.approx(34.17, abs=0.01)  # docs/select.md works it through
    assert spec.train_gb() == pytest.approx(parts["total"])
    one = memory.train_gb(spec.shape, memory.TrainSetup(micro_batch=1))
    assert 8.4 < one < 8.6 and one < parts["total"] / 3  # batch 8 is not batch 1


def test_the_kv_cache_counts_only_attention_layers():
    qwen = catalog.load().get("Qwen3-4B")
    nemotron = catalog.load().get("NVIDIA-Nemotron-Nano-9B-v2")

    assert memory.kv_cache_gb(qwen.shape, 2048, 8) == pytest.approx(
        2 * 36 * 8 * 128 * 2 * 2048 * 8 / 1e9
    )
    assert memory.kv_cache_gb(nemotron.shape, 2048, 8) == pytest.approx(
        2 * 4 * 8 * 128 * 2 * 2048 * 8 / 1e9
    )
    no_kv = catalog.load().get("gemma-3n-E2B-it")
    assert no_kv.serving_gb(2048) == pytest.approx(memory.inference_bf16_gb(no_kv.params_b))


def test_serving_cost_formula_and_override():
    cat = catalog.load()
    serving = cat.serving
    one_b = memory.serving_usd_per_mtok(1.0, 0.8, 5000, 20000)

    assert one_b == pytest.approx(0.8 / (5000 * 3600) * 1e6)
    assert memory.tokens_per_second(0.003, 5000, 20000) == 20000  # the cap
    assert cat.get("Qwen3-4B").serving_cost(serving) == pytest.approx(
        serving.gpu_hour_usd / (serving.tokens_per_second_1b / 4.0 * 3600) * 1e6
    )
    priced = cat.get("Qwen3-4B").model_copy(update={"serving_usd_per_mtok": 0.05})
    assert priced.serving_cost(serving) == 0.05


def minimal(**changes) -> dict:
    """A valid four-model catalog as a dict; ``changes`` patch models[3]."""
    base = catalog.load()
    doc = {
        "version": 1,
        "serving": base.serving.model_dump(),
        "models": [m.model_dump(exclude_none=True, exclude_defaults=True) for m in base.models[:4]],
    }
    doc["models"][3].update(changes)
    return doc


def write(tmp_path, doc_or_text) -> tuple:
    text = (
        doc_or_text
        if isinstance(doc_or_text, str)
        else yaml.safe_dump(doc_or_text, sort_keys=False)
    )
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path, text.splitlines()


def line_of(lines: list[str], needle: str, after: int = 0) -> int:
    return next(i for i, text in enumerate(lines, 1) if i > after and needle in text)


def error(path) -> str:
    with pytest.raises(ConfigError) as err:
        catalog.load(path)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_a_valid_user_catalog_loads(tmp_path):
    path, _ = write(tmp_path, minimal(name="my-model", hub_id="me/my-model"))
    cat = catalog.load(path)
    assert cat.path == str(path) and len(cat.sha256) == 64
    assert cat.get("MY-MODEL").hub_id == "me/my-model"


def test_bad_value_names_file_line_and_field(tmp_path):
    path, lines = write(tmp_path, minimal(context_length=0))
    fourth = line_of(lines, "- name: Phi-4-mini-instruct")
    line = line_of(lines, "context_length: 0", after=fourth)
    assert error(path) == f"{path}:{line}: models[3].context_length: must be > 0"


def test_missing_field_names_the_model(tmp_path):
    doc = minimal()
    del doc["models"][1]["hub_id"]
    path, lines = write(tmp_path, doc)
    line = line_of(lines, "- name: Qwen3-1.7B")
    assert error(path) == f"{path}:{line}: models[1].hub_id: required field missing"


def test_unknown_field_lists_the_known_ones(tmp_path):
    path, lines = write(tmp_path, minimal(contxt_length=4096))
    message = error(path)
    assert message.startswith(f"{path}:{line_of(lines, 'contxt_length')}: models[3].contxt_length")
    assert "unknown field; known: name, hub_id, params_b, context_length" in message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"tool_calling": "sometimes"}, "models[3].tool_calling: must be true or false"),
        ({"params_b": "large"}, "models[3].params_b: must be a number"),
        ({"languages": []}, "models[3].languages: must not be empty"),
        ({"name": "two words"}, "models[3].name: must not contain spaces"),
        ({"benchmarks": {"mmlu": "high"}}, "models[3].benchmarks.mmlu: must be a number"),
    ],
)
def test_wrong_types_are_one_line(tmp_path, changes, expected):
    path, _ = write(tmp_path, minimal(**changes))
    assert error(path).endswith(expected)


def test_serving_and_top_level_errors(tmp_path):
    doc = minimal()
    doc["serving"]["gpu_hour_usd"] = -1
    path, lines = write(tmp_path, doc)
    assert (
        error(path) == f"{path}:{line_of(lines, 'gpu_hour_usd')}: serving.gpu_hour_usd: must be > 0"
    )

    doc = minimal()
    doc["models"] = []
    path, _ = write(tmp_path, doc)
    assert error(path).endswith(": models: must not be empty")

    path, _ = write(tmp_path, "- just\n- a list\n")
    assert error(path) == f"{path}:1: top level must be a mapping with 'models'"


def test_duplicate_names_are_an_error(tmp_path):
    doc = minimal(name="qwen3-0.6b")
    path, lines = write(tmp_path, doc)
    line = line_of(lines, "- name: qwen3-0.6b")
    assert error(path) == f"{path}:{line}: models[3].name: same name as models[0]"


def test_invalid_yaml_and_missing_file(tmp_path):
    path, _ = write(tmp_path, "version: 1\nmodels:\n  - name: [unclosed\n")
    message = error(path)
    assert message.startswith(f"{path}:") and "invalid YAML" in message

    assert error(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such catalog file"
