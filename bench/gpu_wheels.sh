#!/usr/bin/env bash
# Wheels bench/gpu_smoke.sh needs on the GPU machine (Python 3.12, x86-64), into .whl/.
# bitsandbytes is last: if the total passes the device tool's 64 MiB, leave it out (LoRA then).
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
mkdir -p .whl
for spec in trl datasets dill multiprocess pydantic pydantic-core annotated-types \
            typing-inspection orjson zstandard bitsandbytes; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl "$spec"
done
du -sh .whl
