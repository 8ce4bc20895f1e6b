#!/usr/bin/env bash
# GPU smoke run (bench/gpu_smoke.py): QLoRA for 30 steps on a Qwen3-0.6B-shaped model, then eval
# on CUDA; writes bench/results/gpu.md (and $OUT/gpu.md on the device machine). Under 5 minutes.
#
# The lent GPU machine has PyTorch, transformers, peft and accelerate but not trl, datasets,
# pydantic, orjson or bitsandbytes, and reaches no registry. Fetch the wheels here first:
#   bash bench/gpu_wheels.sh          # into .whl/ (ignored by git), 64 MiB at most
# then run this with `.whl` carried:   device run, carry [".whl"], command `bash bench/gpu_smoke.sh`
# Without bitsandbytes it trains LoRA on CUDA and the table says so.
set -euo pipefail
cd "$(dirname "$0")/.."
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}" HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
out="${OUT:-bench/results}"
python3 bench/gpu_smoke.py --out "$out/gpu.md" "$@"
