"""How worker processes start: fork where it is safe, spawn where it is not."""

from __future__ import annotations

import multiprocessing
import sys


def start_method() -> str:
    """``fork`` (workers share what this process built) unless it cannot be used safely.

    Not after Ray has been loaded in this process (a stage that ran with ``--engine ray``
    before, in a recipe or a test session): Ray's threads outlive ``ray.shutdown()``, and a
    child forked while one of them holds a lock waits on it forever (seen here). Spawned
    workers build their own state instead.
    """
    if "fork" in multiprocessing.get_all_start_methods() and "ray" not in sys.modules:
        return "fork"
    return "spawn"
