"""Serving configs: one vLLM server per base with its LoRA modules, LiteLLM groups per cluster."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
import yaml
from vllm_args import commands, vllm_arguments

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


def test_one_server_per_base_with_every_adapter_and_flags_vllm_accepts(tmp_path):
    script = serve.vllm_script([ORDERS, FAQ, BILLING, FULL])
    (tmp_path / "vllm.sh").write_text(script)

    qwen, llama, full = (vllm_arguments(c) for c in commands(script))
    assert subprocess.run(["bash", "-n", tmp_path / "vllm.sh"]).returncode == 0
    assert (qwen.model, qwen.port, llama.port, full.port) == ("Qwen/Qwen3-0.6B", 8000, 8001, 8002)
    assert qwen.lora_modules == ["cluster-0@v1=adapters/0", "cluster-2@v1=adapters/2"]
    assert (qwen.max_loras, qwen.max_lora_rank) == (2, 32)  # rank 24 rounds up to vLLM's 32
    assert qwen.tool_call_parser == "hermes" and qwen.enable_auto_tool_choice
    assert llama.tool_call_parser is None  # its cluster answers in text
    assert (full.model, full.served_model_name) == ("adapters/7", "cluster-7")
    assert {qwen.host, qwen.gpu_memory_utilization} == {"$HOST", "$SHARE"}
    assert serve.api_bases([ORDERS, FAQ, BILLING, FULL]) == {
        0: "http://localhost:8000/v1",
        2: "http://localhost:8000/v1",
        5: "http://localhost:8001/v1",
        7: "http://localhost:8002/v1",
    }


def test_each_server_gets_the_template_it_was_trained_with_and_thinking_off():
    qwen = Served(0, "cluster-0@v1", "Qwen/Qwen3-4B", "adapters/0", "adapter", 16, True,
                  "hermes", "serve/templates/cluster-0.jinja", thinking_off=True)  # fmt: skip

    [args] = [vllm_arguments(c) for c in commands(serve.vllm_script([qwen]))]

    assert args.chat_template == "serve/templates/cluster-0.jinja"
    assert args.default_chat_template_kwargs == {"enable_thinking": False}


def test_nemotron_needs_its_parser_plugin_and_phi4_gets_no_wrong_parser():
    nemotron = Served(1, "cluster-1", "nvidia/NVIDIA-Nemotron-Nano-9B-v2", "adapters/1",
                      "adapter", 16, True, "<TOOLCALL> JSON list")  # fmt: skip
    phi = Served(2, "cluster-2", "microsoft/Phi-4-mini-instruct", "adapters/2", "adapter", 16,
                 True, "<|tool|> JSON list in the system message")  # fmt: skip

    script = serve.vllm_script([nemotron, phi])
    first, second = (vllm_arguments(c) for c in commands(script))

    assert first.tool_call_parser == "nemotron_json"
    assert first.tool_parser_plugin.startswith("${NEMOTRON_TOOL_PARSER_PLUGIN:?")
    assert second.tool_call_parser is None and "parses" in script


def test_a_server_that_fails_stops_the_script_and_the_others(tmp_path):
    deploy = tmp_path / "deploy"
    (deploy / "serve").mkdir(parents=True)
    (deploy / "serve" / "vllm.sh").write_text(serve.vllm_script([ORDERS, BILLING]))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = {  # the second server dies at once; the first would run for a minute
        "vllm": '#!/bin/sh\necho "$CUDA_VISIBLE_DEVICES $*" >> "$LOG"\n'
        'case "$*" in *8001*) exit 3;; *) sleep 60;; esac\n',
        "nvidia-smi": "#!/bin/sh\necho 'GPU 0: fake'\n",
    }
    for name, body in fake.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(tmp_path / "log")}

    start = time.monotonic()
    run = subprocess.run(["bash", deploy / "serve" / "vllm.sh"], env=env, capture_output=True,
                         text=True, timeout=30)  # fmt: skip

    assert run.returncode == 3 and time.monotonic() - start < 20
    assert "a vLLM server exited (status 3)" in run.stderr
    log = (tmp_path / "log").read_text().splitlines()
    assert all(line.startswith("0 ") for line in log)  # one GPU: both on GPU 0, sharing it
    assert all("--gpu-memory-utilization 0.45" in line for line in log)


def test_nothing_promoted_serves_nothing():
    script = serve.vllm_script([])

    assert commands(script) == [] and "nothing to serve" in script


def test_tool_parsers_and_ranks():
    assert serve.tool_parser("llama3 JSON function call") == "llama3_json"
    assert serve.tool_parser("[TOOL_CALLS] JSON list (9-character call ids)") == "mistral"
    assert serve.tool_parser("hermes") == "hermes"  # a parser name, as eval.json gives it
    assert serve.tool_parser("<TOOLCALL> JSON list") == "nemotron_json"
    assert serve.tool_parser("<|tool|> JSON list in the system message") is None
    assert serve.tool_parser(None) is None
    assert serve.vllm_rank(4) == 8 and serve.vllm_rank(200) == 256
    with pytest.raises(ValueError, match="largest vLLM accepts"):
        serve.vllm_rank(1024)


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
