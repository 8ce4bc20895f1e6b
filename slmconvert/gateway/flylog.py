"""The gateway's log of what it served: one JSON line per call, in the Data Flywheel shape.

``{timestamp, workload_id, client_id, request, response}`` (what NVIDIA Data Flywheel logs, so
`slmconvert collect` reads it back as the `openai` format) plus ``slmconvert`` {cluster, arm,
fallback_reason, latency_ms}. Files rotate by size, are created mode 0600, and hold raw traffic
like any LLM log: the next `slmconvert pii` run scrubs them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson


class FlywheelLog:
    """Appends served calls to ``DIR/served-<start>-<n>.jsonl``, a new file every ``max_bytes``."""

    def __init__(self, directory: str | Path, max_bytes: int = 256 * 2**20):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.stem = time.strftime("served-%Y%m%dT%H%M%S", time.gmtime())
        self.part = 0
        self.size = 0
        self.handle = None
        self.lines = 0

    def _open(self) -> None:
        self.part += 1
        path = self.directory / f"{self.stem}-{self.part:04d}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.handle = os.fdopen(fd, "ab", buffering=0)
        self.size = 0

    def write(self, request: dict, response: dict, *, cluster: int, arm: str,
              client_id: str | None, latency_ms: float, fallback: str | None = None) -> None:  # fmt: skip
        """One served call (one ``write`` of the whole line, so lines never interleave)."""
        if self.handle is None or self.size >= self.max_bytes:
            if self.handle is not None:
                self.handle.close()
            self._open()
        line = orjson.dumps(
            {
                "timestamp": round(time.time(), 3),
                "workload_id": f"cluster-{cluster}" if cluster >= 0 else "noise",
                "client_id": client_id,
                "request": request,
                "response": response,
                "slmconvert": {
                    "cluster": cluster,
                    "arm": arm,
                    "fallback_reason": fallback,
                    "latency_ms": round(latency_ms, 2),
                },
            }
        )
        self.handle.write(line + b"\n")
        self.size += len(line) + 1
        self.lines += 1

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
