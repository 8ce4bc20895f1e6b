"""Seeded generator of a customer-service agent's LLM traffic (NVIDIA Gear Store style).

`generate` writes what an operator would find in the logs of a store's support agent: five kinds
of LLM call (the `TASKS`), spread over four log formats so that no format gives a task away, with
personal data seeded where real traffic carries it (system prompts, customer turns, tool
arguments, tool results, answers) beside values a scrubber must keep (order numbers, SKUs,
amounts, dates, tracking numbers).

It also writes a truth file, one line per log line: ``{"file", "line", "task", "calls"}``. Every
LLM call parsed from that line belongs to that task; ``calls == 0`` marks a failed call.

Everything is drawn from one ``random.Random(seed)`` plus Faker seeded once for a pool of people,
and gzip members carry ``mtime=0``: the same seed gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import orjson

from slmconvert.testing.traffic_tasks import BUILDERS
from slmconvert.testing.traffic_world import Gen, luhn_digit
from slmconvert.testing.traffic_writers import RENDERERS, WORKLOADS, JsonlWriter

__all__ = [
    "BUILDERS",
    "FILE_STEMS",
    "FORMATS",
    "MEAN_CALLS",
    "RENDERERS",
    "TASKS",
    "TASK_FORMATS",
    "TASK_SHARE",
    "WORKLOADS",
    "file_name",
    "generate",
    "luhn_digit",
]

TASKS = ("routing", "order_status", "extraction", "summarization", "faq")
FORMATS = ("openai", "anthropic", "openai-finetune", "litellm")
FILE_STEMS = {
    "openai": "flywheel.openai",
    "anthropic": "claude.anthropic",
    "openai-finetune": "curated.openai-finetune",
    "litellm": "proxy.litellm",
}
# Share of all LLM calls per task, and calls per conversation (order status has 2 or 4).
TASK_SHARE = {
    "routing": 0.38,
    "order_status": 0.2,
    "extraction": 0.14,
    "summarization": 0.12,
    "faq": 0.16,
}
MEAN_CALLS = {
    "routing": 1.0,
    "order_status": 2.44,
    "extraction": 1.0,
    "summarization": 1.0,
    "faq": 1.1,
}
# Where each task's traffic is logged: every task in at least three formats.
TASK_FORMATS = {
    "routing": {"openai": 0.55, "anthropic": 0.25, "litellm": 0.2},
    "order_status": {"openai-finetune": 0.45, "openai": 0.35, "anthropic": 0.2},
    "extraction": {"litellm": 0.45, "openai": 0.3, "openai-finetune": 0.25},
    "summarization": {"anthropic": 0.5, "litellm": 0.3, "openai-finetune": 0.2},
    "faq": {"openai": 0.4, "litellm": 0.3, "anthropic": 0.3},
}
START = 1746057600  # 2025-05-01T00:00:00Z: a month of traffic from here
SPAN = 31 * 86400


def file_name(fmt: str, compress: bool = True) -> str:
    """The log file a format's lines go to, e.g. ``flywheel.openai.jsonl.gz``."""
    return f"{FILE_STEMS[fmt]}.jsonl" + (".gz" if compress else "")


def generate(
    logs_dir: str | Path,
    truth_path: str | Path | None = None,
    calls: int = 3000,
    seed: int = 0,
    formats: Iterable[str] | None = None,
    compress: bool = True,
) -> dict:
    """Write at least ``calls`` LLM calls of store traffic into ``logs_dir``, plus the truth file.

    ``truth_path`` defaults to ``truth.jsonl`` beside ``logs_dir`` (never inside it: the log
    directory holds logs only). ``formats`` limits the formats (default: all of `FORMATS`); a
    task none of whose usual formats is allowed goes to every allowed one. Returns ``calls``,
    ``lines``, ``failed``, calls per ``tasks`` and ``formats``, and lines per ``files``.
    """
    logs_dir = Path(logs_dir)
    truth_path = Path(truth_path) if truth_path is not None else logs_dir.parent / "truth.jsonl"
    chosen = _prepare(logs_dir, truth_path, formats)
    task_weights = [TASK_SHARE[t] / MEAN_CALLS[t] for t in TASKS]
    routes = {}
    for task in TASKS:
        allowed = [f for f in chosen if f in TASK_FORMATS[task]] or list(chosen)
        routes[task] = (allowed, [TASK_FORMATS[task].get(f, 1.0) for f in allowed])
    mean_gap = SPAN / max(1.0, calls * sum(task_weights))

    g = Gen(seed)
    r = g.rng
    writers: dict[str, JsonlWriter] = {}
    truth: dict[str, list[tuple]] = {}  # small tuples: orjson's bytes would cost 4 KB each
    counts: dict = {"calls": 0, "lines": 0, "failed": 0, "tasks": dict.fromkeys(TASKS, 0)}
    counts |= {"formats": dict.fromkeys(chosen, 0), "files": {}}
    now = float(START)
    try:
        while counts["calls"] < calls:
            now += r.expovariate(1.0 / mean_gap)
            task = r.choices(TASKS, task_weights)[0]
            fmt = r.choices(*routes[task])[0]
            conv = BUILDERS[task](g, fmt, now)
            if fmt not in writers:
                writers[fmt] = JsonlWriter(logs_dir / file_name(fmt, compress), compress)
                truth[fmt] = []
            name = file_name(fmt, compress)
            for obj, n in RENDERERS[fmt](g, conv, now):
                line = writers[fmt].write(orjson.dumps(obj))
                truth[fmt].append((name, line, task, n))
                counts["calls"] += n
                counts["lines"] += 1
                counts["failed"] += n == 0
                counts["tasks"][task] += n
                counts["formats"][fmt] += n
    finally:
        for writer in writers.values():
            writer.close()
    counts["files"] = _write_truth(truth_path, truth, compress)
    return counts


def _prepare(logs_dir: Path, truth_path: Path, formats: Iterable[str] | None) -> tuple[str, ...]:
    """The formats to write (checked), with the directories made and old log files removed."""
    chosen = tuple(FORMATS if formats is None else dict.fromkeys(formats))
    if not chosen or set(chosen) - set(FORMATS):
        raise ValueError(f"formats must be some of: {', '.join(FORMATS)}")
    logs_dir.mkdir(parents=True, exist_ok=True)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    for fmt in FORMATS:  # an earlier run's files would have no truth lines
        for compressed in (True, False):
            (logs_dir / file_name(fmt, compressed)).unlink(missing_ok=True)
    return chosen


def _write_truth(truth_path: Path, truth: dict[str, list[tuple]], compress: bool) -> dict:
    """The truth file, format by format; returns the lines written per log file."""
    files = {}
    with open(truth_path, "wb") as fh:
        for fmt in FORMATS:
            for name, line, task, n in truth.get(fmt, ()):
                fh.write(
                    orjson.dumps({"file": name, "line": line, "task": task, "calls": n}) + b"\n"
                )
            if fmt in truth:
                files[file_name(fmt, compress)] = len(truth[fmt])
    return files
