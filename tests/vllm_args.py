"""Read a generated `vllm.sh` the way bash and vLLM would: its commands and their flags."""

from __future__ import annotations

import argparse
import json
import shlex


def commands(script: str) -> list[list[str]]:
    """Each ``vllm serve`` command's arguments, as bash would split them (variables kept)."""
    joined = script.replace("\\\n", " ")
    lines = [line.split("vllm serve", 1)[1] for line in joined.splitlines() if "vllm serve" in line]
    return [shlex.split(line.rstrip(" &")) for line in lines]


def vllm_arguments(args: list[str]) -> argparse.Namespace:
    """The flags as vLLM's `serve` reads them (the subset the script uses), checked."""
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("model")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--gpu-memory-utilization")
    parser.add_argument("--chat-template")
    parser.add_argument("--default-chat-template-kwargs", type=json.loads)
    parser.add_argument("--enable-lora", action="store_true")
    parser.add_argument("--max-loras", type=int)
    parser.add_argument("--max-lora-rank", type=int, choices=(8, 16, 32, 64, 128, 256))
    parser.add_argument("--lora-modules", nargs="+")
    parser.add_argument("--served-model-name")
    parser.add_argument("--enable-auto-tool-choice", action="store_true")
    parser.add_argument("--tool-call-parser", choices=("hermes", "llama3_json", "mistral",
                                                       "nemotron_json"))  # fmt: skip
    parser.add_argument("--tool-parser-plugin")
    return parser.parse_args(args)
