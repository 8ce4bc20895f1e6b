"""Serving configs for the promoted clusters: a vLLM multi-LoRA script and a LiteLLM router.

vLLM serves every promoted LoRA adapter of one base model from one server (``--enable-lora
--lora-modules name=path ...``), one server and port per distinct base; a full fine-tune
(``kind: model``) gets a server of its own. LiteLLM fronts them: per promoted cluster a model
group ``cluster-<id>`` that the cluster router sends that cluster's calls to, split between the
small model and the LLM by the first rollout step, with fallbacks to the LLM.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml

FIRST_PORT = 8000
LLM_GROUP = "llm"
# --max-lora-rank values every vLLM release since 0.4 accepts (vllm/config/lora.py; newer ones
# also take 1, 320 and 512)
VLLM_RANKS = (8, 16, 32, 64, 128, 256)
# slmconvert's tool-call parser (slmconvert.evaluation) -> vLLM --tool-call-parser. Phi-4-mini
# has none: vLLM's phi4_mini_json reads "functools[...]", not the <|tool_call|> the model
# writes; Nemotron's needs the plugin shipped in its model repository.
VLLM_PARSERS = {
    "hermes": "hermes",
    "llama3": "llama3_json",
    "mistral": "mistral",
    "nemotron": "nemotron_json",
}
PLUGIN_PARSERS = {"nemotron_json": "NEMOTRON_TOOL_PARSER_PLUGIN"}
"""Parsers that need ``--tool-parser-plugin``: the environment variable holding its path."""


@dataclass(frozen=True)
class Served:
    """A promoted cluster as served: its names, base model, files and LoRA rank."""

    cluster_id: int
    lora_name: str
    base: str
    path: str  # relative to the deploy directory
    kind: str  # adapter | model
    rank: int | None = None
    tool_calls: bool = False
    tool_format: str | None = None
    chat_template: str | None = None  # the template it was trained with, relative path
    thinking_off: bool = False  # its template takes enable_thinking (Qwen3, SmolLM3)


def lora_name(cluster_id: int, version: str = "v1") -> str:
    """The name a promoted cluster's model is served under, with its version.

    A new adapter gets a new name: vLLM can reuse stale prefix-cache blocks when an adapter is
    replaced under the same name.
    """
    return f"cluster-{cluster_id}@{version}"


def group_name(cluster_id: int) -> str:
    """The LiteLLM model group a cluster's calls are sent to (the same across versions)."""
    return f"cluster-{cluster_id}"


def adapter_rank(adapter_dir: Path, default: int | None = None) -> int | None:
    """The LoRA rank in a PEFT ``adapter_config.json`` (largest of r and rank_pattern)."""
    try:
        config = orjson.loads((adapter_dir / "adapter_config.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return default
    ranks = [config.get("r")] + list((config.get("rank_pattern") or {}).values())
    ranks = [r for r in ranks if isinstance(r, int) and r > 0]
    return max(ranks) if ranks else default


def trained_template(adapter_dir: Path) -> str | None:
    """The chat template saved with an adapter's tokenizer (what it was trained with)."""
    jinja = adapter_dir / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    try:
        config = orjson.loads((adapter_dir / "tokenizer_config.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    template = config.get("chat_template")
    return template if isinstance(template, str) and template else None


def tool_parser(tool_format: str | None) -> str | None:
    """vLLM's ``--tool-call-parser`` for a tool format or parser name (None when unknown)."""
    from slmconvert.evaluation.toolcalls import parser_for

    return VLLM_PARSERS.get(parser_for(tool_format, default=None) or "")


def _tool_flags(members: list[Served]) -> tuple[list[str], str | None]:
    """The flags that make vLLM return OpenAI tool_calls, or a comment when none are known."""
    calling = [m for m in members if m.tool_calls]
    if not calling:
        return [], None
    parser = tool_parser(calling[0].tool_format)
    if parser is None:
        return [], (
            f"# no vLLM tool parser reads {calling[0].tool_format}: tool calls come back as "
            "text, which `slmconvert serve` parses"
        )
    flags = ["--enable-auto-tool-choice", "--tool-call-parser", parser]
    if parser in PLUGIN_PARSERS:
        var = PLUGIN_PARSERS[parser]
        flags += [
            "--tool-parser-plugin",
            f'"${{{var}:?set {var} to the path of the parser plugin}}"',
        ]
    return flags, None


def vllm_rank(rank: int) -> int:
    """The smallest --max-lora-rank every vLLM accepts that holds ``rank``."""
    for allowed in VLLM_RANKS:
        if allowed >= rank:
            return allowed
    raise ValueError(f"LoRA rank {rank} is above {VLLM_RANKS[-1]}, the largest vLLM accepts")


def _servers(served: list[Served]) -> list[tuple[int, str, list[Served]]]:
    """``(port, model to serve, clusters on it)``: one per base with adapters, one per model."""
    groups: dict[str, list[Served]] = {}
    for item in served:
        if item.kind == "adapter":
            groups.setdefault(item.base, []).append(item)
    out = [(base, members) for base, members in groups.items()]
    out += [(item.path, [item]) for item in served if item.kind != "adapter"]
    return [(FIRST_PORT + i, model, members) for i, (model, members) in enumerate(out)]


def api_bases(served: list[Served], host: str = "localhost") -> dict[int, str]:
    """Cluster id → the OpenAI-compatible URL of the vLLM server that serves it."""
    return {
        item.cluster_id: f"http://{host}:{port}/v1"
        for port, _, members in _servers(served)
        for item in members
    }


_SCRIPT_HEAD = """#!/usr/bin/env bash
# Written by `slmconvert deploy`: serves the promoted clusters with vLLM, one server per base
# model (multi-LoRA), on consecutive ports from 8000, from the deploy directory.
# Needs `pip install vllm` and NVIDIA GPUs. Settings (environment):
#   SLMCONVERT_VLLM_HOST  address to listen on (default 127.0.0.1)
#   SLMCONVERT_GPUS       GPUs to use (default: all that nvidia-smi lists). With a GPU per
#                         server each gets its own; with fewer, all share GPU 0 and each takes
#                         an equal part of --gpu-memory-utilization 0.9
# The first server to exit stops the others and the script, with its exit status.
set -euo pipefail
set -m  # each server in a process group of its own, so stopping one stops its workers
cd "$(dirname "$0")/.."
HOST="${SLMCONVERT_VLLM_HOST:-127.0.0.1}"
GPUS="${SLMCONVERT_GPUS:-$(nvidia-smi -L 2>/dev/null | wc -l)}"
SERVERS=%(servers)d
if [ "$GPUS" -lt 1 ]; then echo "vllm.sh: no GPU found (set SLMCONVERT_GPUS)" >&2; exit 1; fi
if [ "$GPUS" -ge "$SERVERS" ]; then SHARE=0.9; else SHARE=$(awk "BEGIN {printf \\"%%.2f\\", 0.9 / $SERVERS}"); fi
gpu() { if [ "$GPUS" -ge "$SERVERS" ]; then echo "$1"; else echo 0; fi; }
pids=()
stop() { for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done; }
trap stop EXIT
"""

_SCRIPT_TAIL = """
status=0
wait -n || status=$?
echo "vllm.sh: a vLLM server exited (status $status); stopping the others" >&2
exit "$status"
"""


def _server_args(port: int, model: str, members: list[Served]) -> list[str]:
    args = [shlex.quote(model), "--host", '"$HOST"', "--port", str(port)]
    args += ["--gpu-memory-utilization", '"$SHARE"']
    first = members[0]
    if first.chat_template:
        args += ["--chat-template", shlex.quote(first.chat_template)]
    if first.thinking_off:
        args += ["--default-chat-template-kwargs", shlex.quote('{"enable_thinking": false}')]
    if first.kind == "adapter":
        rank = vllm_rank(max(m.rank or 16 for m in members))
        args += ["--enable-lora", "--max-loras", str(len(members)), "--max-lora-rank", str(rank)]
        args += ["--lora-modules", *(shlex.quote(f"{m.lora_name}={m.path}") for m in members)]
    else:
        args += ["--served-model-name", shlex.quote(first.lora_name)]
    return args


def vllm_script(served: list[Served]) -> str:
    """``serve/vllm.sh``: one ``vllm serve`` per server, each on its own GPU (or an equal
    memory share of one), failing fast; run from the deploy directory."""
    servers = _servers(served)
    if not servers:
        return "#!/usr/bin/env bash\necho 'no cluster passed its gate; nothing to serve' >&2\n"
    lines = [_SCRIPT_HEAD % {"servers": len(servers)}]
    for index, (port, model, members) in enumerate(servers):
        lines.append(f"# clusters {', '.join(str(m.cluster_id) for m in members)}")
        tools, note = _tool_flags(members)
        if note:
            lines.append(note)
        args = _server_args(port, model, members) + tools
        lines.append(f'CUDA_VISIBLE_DEVICES="$(gpu {index})" vllm serve \\')
        lines.append("  " + " ".join(args) + " &")
        lines.append("pids+=($!)")
        lines.append("")
    return "\n".join(lines) + _SCRIPT_TAIL


_LITELLM_HEADER = """\
# Written by `slmconvert deploy`: a LiteLLM proxy config (`litellm --config serve/litellm.yaml`).
#
# LiteLLM cannot tell which task a call belongs to, and `slmconvert serve` (the gateway) is what
# executes the rollout: it routes each call with router/, shadows, moves traffic step by step on
# live evidence and falls back on a bad answer. This file is for using LiteLLM as an upstream
# (for providers the gateway does not speak to directly), or for a static split without the
# gateway: `cluster-<id>` holds the rollout's first step (at shadow only the LLM; between 0 and
# 100 % the small model and the LLM with `weight`s; at 100 % only the small model), and
# `slm-cluster-<id>` the small model alone.
#
# Fallbacks: errors and timeouts go to `llm` here. An answer that does not parse, or a tool call
# that fails its schema, is not an error to LiteLLM: the router must check it and resend to `llm`.
# Set the LLM's provider prefix and key as LiteLLM expects (e.g. openai/..., api_key).
"""


def litellm_config(
    served: list[Served],
    llm_model: str | None,
    first_percent: int,
    timeout_ms: int,
) -> str:
    """``serve/litellm.yaml``: model groups per promoted cluster, the LLM, fallbacks to it."""
    llm_params = {"model": llm_model or "os.environ/SLMCONVERT_LLM_MODEL"}
    bases = api_bases(served)
    model_list = [{"model_name": LLM_GROUP, "litellm_params": dict(llm_params)}]
    fallbacks = []
    for item in served:
        slm_params = {
            "model": f"hosted_vllm/{item.lora_name}",
            "api_base": bases[item.cluster_id],
            "timeout": timeout_ms / 1000,
        }
        group = group_name(item.cluster_id)
        if first_percent > 0:
            weight = {} if first_percent == 100 else {"weight": first_percent}
            model_list.append({"model_name": group, "litellm_params": {**slm_params, **weight}})
        if first_percent < 100:
            weight = {} if first_percent == 0 else {"weight": 100 - first_percent}
            model_list.append({"model_name": group, "litellm_params": {**llm_params, **weight}})
        model_list.append({"model_name": f"slm-{group}", "litellm_params": dict(slm_params)})
        fallbacks += [{group: [LLM_GROUP]}, {f"slm-{group}": [LLM_GROUP]}]
    doc = {
        "model_list": model_list,
        "router_settings": {"routing_strategy": "simple-shuffle", "fallbacks": fallbacks},
    }
    return _LITELLM_HEADER + dump_yaml(doc)


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True


def dump_yaml(doc: dict) -> str:
    """YAML in document order, without anchors (a shared list is written out twice)."""
    return yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100)
