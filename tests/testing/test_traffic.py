"""The example-traffic generator: deterministic, fully labelled, parseable, and full of personal data."""

from __future__ import annotations

import collections
import gzip
import json
import re
from pathlib import Path

import orjson
import pytest

from slmconvert.core.records import answer_kind
from slmconvert.formats import detect
from slmconvert.formats.registry import Ignored, ParseContext
from slmconvert.testing import traffic
from slmconvert.testing import traffic_data as D

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FLYWHEEL = ROOT.parent / "shared/reference/flywheel-record.json"
FORMAT_OF = {traffic.file_name(f): f for f in traffic.FORMATS}


def read_lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        return fh.read().splitlines()


def read_truth(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """3,000 calls of seed-0 traffic: (logs dir, truth entries, counts)."""
    root = tmp_path_factory.mktemp("traffic")
    counts = traffic.generate(root / "logs", root / "truth.jsonl", calls=3000, seed=0)
    return root / "logs", read_truth(root / "truth.jsonl"), counts


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(tmp_path):
    for name in ("a", "b"):
        traffic.generate(
            tmp_path / name / "logs", tmp_path / name / "truth.jsonl", calls=400, seed=3
        )
    first, second = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert len(first) == 5  # four log files and the truth file
    assert first == second


def test_different_seed_gives_different_traffic(tmp_path):
    traffic.generate(tmp_path / "a" / "logs", calls=300, seed=1)
    traffic.generate(tmp_path / "b" / "logs", calls=300, seed=2)
    name = traffic.file_name("openai")
    assert read_lines(tmp_path / "a/logs" / name) != read_lines(tmp_path / "b/logs" / name)


def test_truth_sits_beside_the_logs_and_covers_every_line(example):
    logs, truth, counts = example
    assert not (logs / "truth.jsonl").exists()
    assert (logs.parent / "truth.jsonl").exists()
    by_file = collections.defaultdict(list)
    for entry in truth:
        assert set(entry) == {"file", "line", "task", "calls"}
        assert entry["task"] in traffic.TASKS
        by_file[entry["file"]].append(entry["line"])
    files = sorted(p.name for p in logs.iterdir())
    assert files == sorted(by_file)
    for name in files:
        assert by_file[name] == list(range(1, len(read_lines(logs / name)) + 1))
    assert sum(e["calls"] for e in truth) == counts["calls"] >= 3000
    assert counts["lines"] == len(truth)


def test_tasks_are_spread_over_formats_and_routing_is_largest(example):
    _, truth, counts = example
    tasks = counts["tasks"]
    assert sum(tasks.values()) == counts["calls"]
    assert max(tasks, key=tasks.get) == "routing"
    assert 0.3 <= tasks["routing"] / counts["calls"] <= 0.45
    for task in traffic.TASKS:
        assert tasks[task] >= 250, task
    formats_of = collections.defaultdict(set)
    for entry in truth:
        formats_of[entry["task"]].add(FORMAT_OF[entry["file"]])
    for task in traffic.TASKS:
        assert len(formats_of[task]) >= 3, task  # a format never gives a task away
    assert len(counts["formats"]) == 4 and min(counts["formats"].values()) >= 300


def test_every_line_parses_into_the_calls_the_truth_promises(example):
    logs, truth, counts = example
    kinds = collections.defaultdict(collections.Counter)
    parsed = failed = 0
    for entry in truth:
        obj = orjson.loads(read_lines_cached(logs / entry["file"])[entry["line"] - 1])
        parser = detect(obj)
        assert parser is not None and parser.name == FORMAT_OF[entry["file"]], entry
        out = list(parser.parse(obj, ParseContext(parser.name, entry["file"], entry["line"])))
        records = [r for r in out if not isinstance(r, Ignored)]
        assert len(records) == entry["calls"], entry
        failed += entry["calls"] == 0
        for record in records:
            kinds[entry["task"]][answer_kind(record["response"]).split(":")[0]] += 1
        parsed += len(records)
    assert parsed == counts["calls"] and failed == counts["failed"] > 0
    assert set(kinds["routing"]) == {"tool"}
    assert set(kinds["extraction"]) == {"json"}
    assert set(kinds["summarization"]) == set(kinds["faq"]) == {"text"}
    assert kinds["order_status"]["tool"] == kinds["order_status"]["text"]  # call, then answer


_CACHE: dict[Path, list[bytes]] = {}


def read_lines_cached(path: Path) -> list[bytes]:
    if path not in _CACHE:
        _CACHE[path] = read_lines(path)
    return _CACHE[path]


def test_routing_is_the_data_flywheel_router(example):
    logs, truth, _ = example
    name = traffic.file_name("openai")
    lines = read_lines_cached(logs / name)
    chosen = collections.Counter()
    for entry in truth:
        if entry["file"] != name or entry["task"] != "routing":
            continue
        obj = orjson.loads(lines[entry["line"] - 1])
        system, user = obj["request"]["messages"]
        user_id = re.fullmatch(
            r"(?s).*The current user id is : (\d{4})\n", system["content"]
        ).group(1)
        assert system["content"] == D.ROUTER_SYSTEM.format(user_id=user_id)
        assert obj["workload_id"] == "primary_assistant" and obj["client_id"] == "aiva-1"
        assert isinstance(obj["timestamp"], int)
        (call,) = obj["response"]["choices"][0]["message"]["tool_calls"]
        fn = call["function"]
        args = fn["arguments"] if isinstance(fn["arguments"], dict) else json.loads(fn["arguments"])
        if fn["name"] in ("ToOrderStatusAssistant", "ToReturnProcessing"):
            assert args["user_id"] == user_id
        chosen[fn["name"]] += 1
    routed = sum(chosen.values())
    assert routed >= 400
    assert all(n / routed >= 0.15 for n in chosen.values()) and len(chosen) == 4
    if FLYWHEEL.exists():
        reference = json.loads(FLYWHEEL.read_text())["request"]
        assert [{"type": "function", "function": t} for t in D.ROUTER_TOOLS] == reference["tools"]
        assert D.ROUTER_SYSTEM.format(user_id="4165") == reference["messages"][0]["content"]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_seeded_personal_data_is_in_the_raw_logs(example):
    logs, _, _ = example
    text = b"\n".join(b"\n".join(read_lines_cached(p)) for p in sorted(logs.iterdir())).decode()
    emails = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
    cards = {
        re.sub(r"\D", "", m)
        for m in re.findall(
            r"\b(?:\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}|\d{4}[ -]?\d{6}[ -]?\d{5})\b", text
        )
    }
    assert len(emails) >= 300
    assert sum(luhn_ok(c) for c in cards) >= 50
    assert len(set(re.findall(r"CUST-\d{6}", text))) >= 300
    assert len(re.findall(r"\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}", text)) >= 300  # US phone numbers
    assert (
        len(re.findall(r"\\\"street\\\": \\\"\d+ [A-Z]", text)) >= 100
    )  # postal addresses in tool JSON
    assert (
        "Signed-in customer: " in text or "The customer on the line is " in text
    )  # system prompts
    assert (
        "find_orders_by_email" in text and "update_shipping_address" in text
    )  # PII in tool arguments
    # and ordinary values a scrubber must keep
    assert len(set(re.findall(r"ORD-2025-\d{6}", text))) >= 500
    assert re.search(r"NV-(APP|ACC|HW)-\d{5}", text) and re.search(r"1Z[0-9A-Z]{16}", text)


def test_luhn_digit_makes_valid_numbers():
    for body in ("411111111111111", "37828224631000", "601111111111111"):
        assert luhn_ok(body + traffic.luhn_digit(body))
    assert traffic.luhn_digit("411111111111111") == "1"  # 4111 1111 1111 1111


def test_formats_can_be_restricted(tmp_path):
    counts = traffic.generate(
        tmp_path / "logs", calls=200, seed=0, formats=["anthropic"], compress=False
    )
    assert [p.name for p in (tmp_path / "logs").iterdir()] == ["claude.anthropic.jsonl"]
    assert set(counts["formats"]) == {"anthropic"}
    assert all(counts["tasks"][t] > 0 for t in traffic.TASKS)
    with pytest.raises(ValueError, match="formats must be some of"):
        traffic.generate(tmp_path / "x", calls=10, formats=["csv"])


def test_committed_examples_are_this_generators_output(tmp_path):
    truth = read_truth(EXAMPLES / "truth.jsonl")
    assert sum(e["calls"] for e in truth) >= 3000
    traffic.generate(tmp_path / "logs", tmp_path / "truth.jsonl", calls=3000, seed=0)
    assert (tmp_path / "truth.jsonl").read_bytes() == (EXAMPLES / "truth.jsonl").read_bytes()
    for path in sorted((tmp_path / "logs").iterdir()):
        assert read_lines(path) == read_lines(EXAMPLES / "logs" / path.name), (
            f"{path.name} is stale: run python examples/generate.py"
        )
