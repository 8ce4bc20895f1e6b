"""Serving configs: one vLLM server per base with its LoRA modules, LiteLLM groups per cluster."""

from __future__ import annotations

import yaml

from slmconvert.deploy import serve
from slmconvert.deploy.serve import Served

ORDERS = Served(
    0,
    "cluster-0@v1",
    "Qwen/Qwen3-0.6B",
    "adapters/0",
    "adapter",
    8,
    True,
    "hermes <tool_call> JSON",
)
FAQ = Served(2, "cluster-2@v1", "Qwen/Qwen3-0.6B", "adapters/2", "adapter", 24)
BILLING = Served(5, "cluster-5", "meta-llama/Llama-3.2-1B-Instruct", "adapters/5", "adapter", 16)
FULL = Served(7, "cluster-7", "local:tiny", "adapters/7", "model")


def commands(script: str) -> list[str]:
    return [c.strip() for c in script.replace("\\\n", " ").splitlines() if c.startswith("vllm")]


def test_one_server_per_base_with_every_adapter_and_a_rank_vllm_accepts():
    script = serve.vllm_script([ORDERS, FAQ, BILLING, FULL])

    qwen, llama, full = commands(script)
    assert qwen.startswith("vllm serve Qwen/Qwen3-0.6B --port 8000")
    assert "--lora-modules cluster-0@v1=adapters/0 cluster-2@v1=adapters/2" in qwen
    assert "--max-loras 2 --max-lora-rank 32" in qwen  # rank 24 rounds up to vLLM's 32
    assert "--tool-call-parser hermes" in qwen
    assert llama.startswith("vllm serve meta-llama/Llama-3.2-1B-Instruct --port 8001")
    assert "--tool-call-parser" not in llama  # its cluster answers in text
    assert full.startswith("vllm serve adapters/7 --port 8002 --served-model-name cluster-7")
    assert serve.api_bases([ORDERS, FAQ, BILLING, FULL]) == {
        0: "http://localhost:8000/v1",
        2: "http://localhost:8000/v1",
        5: "http://localhost:8001/v1",
        7: "http://localhost:8002/v1",
    }
    assert script.rstrip().endswith("wait")


def test_nothing_promoted_serves_nothing():
    script = serve.vllm_script([])

    assert commands(script) == [] and "nothing to serve" in script


def test_tool_parsers_and_ranks():
    assert serve.tool_parser("llama3 JSON function call") == "llama3_json"
    assert serve.tool_parser("[TOOL_CALLS] JSON list (9-character call ids)") == "mistral"
    assert serve.tool_parser("hermes") == "hermes"  # a parser name, as eval.json gives it
    assert serve.tool_parser("<TOOLCALL> JSON list") is None  # no vLLM parser mapped
    assert serve.tool_parser(None) is None
    assert [serve.vllm_rank(r) for r in (4, 8, 9, 300, 600)] == [8, 8, 16, 320, 600]


def test_litellm_at_full_traffic_sends_the_cluster_to_the_small_model_only():
    text = serve.litellm_config([ORDERS], "openai/gpt-4o", first_percent=100, timeout_ms=1500)

    config = yaml.safe_load(text)
    group = [m["litellm_params"] for m in config["model_list"] if m["model_name"] == "cluster-0"]
    assert group == [
        {
            "model": "hosted_vllm/cluster-0@v1",
            "api_base": "http://localhost:8000/v1",
            "timeout": 1.5,
        }
    ]
    assert {"cluster-0": ["llm"]} in config["router_settings"]["fallbacks"]
    assert text.startswith("# Written by `slmconvert deploy`")


def test_litellm_without_a_known_llm_reads_it_from_the_environment():
    config = yaml.safe_load(serve.litellm_config([], None, first_percent=0, timeout_ms=1000))

    assert config["model_list"] == [
        {"model_name": "llm", "litellm_params": {"model": "os.environ/SLMCONVERT_LLM_MODEL"}}
    ]
