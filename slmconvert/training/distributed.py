"""Where this process stands in a multi-process launch (`accelerate launch`, `torchrun`).

Under such a launcher every process runs the same `finetune`; they train one adapter
together (data parallel), and only the main one writes the stage's output.
"""

from __future__ import annotations

import os


def world_size() -> int:
    """Processes in the launch (1 when not launched by a multi-process launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def local_rank() -> int:
    """This process's device index on its machine (0 when not launched)."""
    return int(os.environ.get("LOCAL_RANK", "0") or 0)


def is_main() -> bool:
    """Whether this process writes outputs: rank 0, or the only process."""
    return int(os.environ.get("RANK", "0") or 0) == 0
