"""`slmconvert collect`: logs in, canonical Parquet + manifest out, bad input reported not fatal."""

from __future__ import annotations

import copy
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
import zstandard

from slmconvert.core.config import CollectConfig
from slmconvert.core.errors import InputError, OutputExistsError
from slmconvert.core.stagedir import open_input
from slmconvert.formats import parsing
from slmconvert.stages import collect

ROOT = Path(__file__).resolve().parents[2]
FLYWHEEL = json.loads((ROOT.parent / "shared/reference/flywheel-record.json").read_text())
SECRET = "zebra-lantern-9931@example.org"  # a value that must never reach a message


def flywheel_line(i: int, user_text: str | None = None) -> dict:
    """A Data Flywheel record with a distinct user turn."""
    obj = copy.deepcopy(FLYWHEEL)
    obj["request"]["messages"][1]["content"] = user_text or f"Where is my order number {i}?"
    obj["timestamp"] = 1746138417 + i
    return obj


def write_jsonl(path: Path, objs: list, opener=open) -> Path:
    with opener(path, "wb") as fh:
        for obj in objs:
            fh.write(obj if isinstance(obj, bytes) else orjson.dumps(obj))
            fh.write(b"\n")
    return path


def test_collect_reads_flywheel_records_into_canonical_parquet(tmp_path):
    log = write_jsonl(tmp_path / "flywheel.jsonl", [flywheel_line(i) for i in range(5)])
    result = collect.run([str(log)], tmp_path / "out")

    assert result.counts["records"] == 5
    assert result.counts["by_format"] == {"openai": 5}
    stage = open_input(tmp_path / "out", expect=("collect",))
    rows = stage.read_table().to_pylist()
    first = rows[0]
    assert first["source"] == {"format": "openai", "file": str(log), "line": 1}
    assert first["workload"] == "primary_assistant"
    assert first["timestamp"] == "2025-05-01T22:26:57.000000Z"
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert [t["name"] for t in first["tools"]] == [
        "HandleOtherTalk",
        "ToProductQAAssistant",
        "ToOrderStatusAssistant",
        "ToReturnProcessing",
    ]
    call = first["response"]["tool_calls"][0]
    assert call["name"] == "ToReturnProcessing"
    # Flywheel logs arguments as an object: stored as canonical JSON text
    assert call["arguments"] == json.dumps(
        {"query": "Why the hold up with my return of ankle socks?", "user_id": "4165"},
        separators=(",", ":"),
        sort_keys=True,
    )
    assert first["arguments_valid"] is True
    assert len({r["id"] for r in rows}) == 5


def test_manifest_records_config_inputs_counts_and_versions(tmp_path):
    log = write_jsonl(tmp_path / "a.jsonl", [flywheel_line(i) for i in range(3)])
    result = collect.run([str(log)], tmp_path / "out", CollectConfig(seed=7))
    manifest = json.loads((tmp_path / "out/manifest.json").read_text())

    assert manifest["stage"] == "collect"
    assert manifest["seed"] == 7
    assert manifest["config"]["max_bad_ratio"] == 0.5
    assert len(manifest["config_hash"]) == 64
    (entry,) = manifest["inputs"]
    assert entry["path"] == str(log) and entry["format"] == "openai"
    assert entry["sha256"] == __import__("hashlib").sha256(log.read_bytes()).hexdigest()
    assert manifest["versions"]["pyarrow"]
    assert manifest["lineage"] == [{"stage": "collect", "config_hash": manifest["config_hash"]}]
    assert manifest["started_at"] <= manifest["finished_at"]
    assert result.manifest == manifest


def test_output_loads_with_datasets(tmp_path):
    from datasets import load_dataset

    log = write_jsonl(tmp_path / "a.jsonl", [flywheel_line(i) for i in range(4)])
    collect.run([str(log)], tmp_path / "out")
    ds = load_dataset("parquet", data_dir=str(tmp_path / "out/data"), split="train")
    assert ds.num_rows == 4
    assert ds[0]["response"]["tool_calls"][0]["name"] == "ToReturnProcessing"


def test_exact_duplicates_are_dropped_and_counted(tmp_path):
    lines = [flywheel_line(1), flywheel_line(1), flywheel_line(2)]
    log = write_jsonl(tmp_path / "dup.jsonl", lines)
    result = collect.run([str(log)], tmp_path / "out")
    assert result.counts["records"] == 2
    assert result.counts["duplicates"] == 1


def test_bad_lines_are_skipped_counted_and_listed_without_values(tmp_path, cli):
    no_response = {"request": flywheel_line(0, SECRET)["request"], "response": {"choices": []}}
    lines = [
        flywheel_line(1),
        b'{"request": {"messages": [' + SECRET.encode(),  # truncated JSON holding a value
        no_response,
        flywheel_line(2),
        flywheel_line(3),
    ]
    log = write_jsonl(tmp_path / "mixed.jsonl", lines)
    result = cli("collect", log, "-o", tmp_path / "out")

    assert result.exit_code == 0, result.output
    manifest_text = (tmp_path / "out/manifest.json").read_text()
    manifest = json.loads(manifest_text)
    assert manifest["counts"]["records"] == 3
    assert manifest["counts"]["bad"] == 2
    assert manifest["bad_examples"] == [
        f"{log}:2: line: invalid JSON",
        f"{log}:3: response.choices: empty",
    ]
    assert "skipped 2 malformed records" in result.stderr
    assert SECRET not in manifest_text
    assert SECRET not in result.output
    assert SECRET not in result.stderr


def test_too_many_bad_records_exits_2_and_leaves_no_output(tmp_path, cli):
    lines = [b"not json"] * 3 + [flywheel_line(1)]
    log = write_jsonl(tmp_path / "bad.jsonl", lines)
    result = cli("collect", log, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "over --max-bad-ratio" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    relaxed = cli("collect", log, "-o", tmp_path / "out", "--max-bad-ratio", "0.9")
    assert relaxed.exit_code == 0


def test_gzip_and_zstd_inputs_are_read_by_magic_bytes(tmp_path):
    gz = write_jsonl(tmp_path / "a.jsonl.gz", [flywheel_line(i) for i in range(3)], gzip.open)
    zst = tmp_path / "b.jsonl.zst"
    raw = b"".join(orjson.dumps(flywheel_line(i)) + b"\n" for i in range(10, 14))
    zst.write_bytes(zstandard.ZstdCompressor().compress(raw))
    result = collect.run([str(gz), str(zst)], tmp_path / "out")
    assert result.counts["records"] == 7


def test_truncated_gzip_is_one_line_naming_the_file(tmp_path, cli):
    data = gzip.compress(b"".join(orjson.dumps(flywheel_line(i)) + b"\n" for i in range(50)))
    broken = tmp_path / "cut.jsonl.gz"
    broken.write_bytes(data[: len(data) // 2])
    result = cli("collect", broken, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {broken}: truncated or corrupt compressed stream — re-copy or re-export the file"
    )
    assert not (tmp_path / "out").exists()


def test_empty_input_and_missing_path_exit_2(tmp_path, cli):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = cli("collect", empty, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "no usable records" in result.stderr
    missing = cli("collect", tmp_path / "nope.jsonl", "-o", tmp_path / "out")
    assert missing.exit_code == 2
    assert f"{tmp_path / 'nope.jsonl'}: no such file or directory" in missing.stderr


def test_unknown_format_names_the_file_and_the_known_formats(tmp_path, cli):
    log = write_jsonl(tmp_path / "weird.jsonl", [{"hello": i} for i in range(3)])
    result = cli("collect", log, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{log}: unknown log format" in result.stderr
    assert "openai-finetune" in result.stderr and "--format" in result.stderr
    forced = cli("collect", log, "-o", tmp_path / "out", "--format", "nine")
    assert forced.exit_code == 2
    assert "unknown format 'nine'" in forced.stderr


def test_existing_output_is_refused_unless_force(tmp_path):
    log = write_jsonl(tmp_path / "a.jsonl", [flywheel_line(1)])
    collect.run([str(log)], tmp_path / "out")
    with pytest.raises(OutputExistsError, match="pass --force"):
        collect.run([str(log)], tmp_path / "out")
    write_jsonl(log, [flywheel_line(1), flywheel_line(2)])
    result = collect.run([str(log)], tmp_path / "out", force=True)
    assert result.counts["records"] == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_directories_globs_and_stdin(tmp_path, cli):
    (tmp_path / "logs/sub").mkdir(parents=True)
    write_jsonl(tmp_path / "logs/a.jsonl", [flywheel_line(1)])
    write_jsonl(tmp_path / "logs/sub/b.jsonl", [flywheel_line(2)])
    (tmp_path / "logs/notes.txt").write_text("not a log")
    assert collect.run([str(tmp_path / "logs")], tmp_path / "o1").counts["records"] == 2
    pattern = str(tmp_path / "logs/**/*.jsonl")
    assert collect.run([pattern], tmp_path / "o2").counts["records"] == 2

    piped = orjson.dumps(flywheel_line(3)).decode() + "\n"
    result = cli("collect", "-", "-o", tmp_path / "o3", input=piped)
    assert result.exit_code == 0, result.output
    rows = open_input(tmp_path / "o3").read_table().to_pylist()
    assert rows[0]["source"]["file"] == "-"


def test_a_stage_directory_without_manifest_is_refused(tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(InputError, match="not a stage directory"):
        open_input(tmp_path / "half")


def test_killed_run_leaves_no_output_and_the_next_run_sweeps_its_temp(tmp_path):
    big = tmp_path / "big.jsonl"
    with open(big, "wb") as fh:
        for i in range(60_000):
            fh.write(orjson.dumps(flywheel_line(i)) + b"\n")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "slmconvert", "collect", str(big), "-o", str(out)], env=env
    )
    deadline = time.time() + 60
    while not list(tmp_path.glob(".out.tmp-*/data/*.parquet")) and time.time() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "collect finished before it could be killed; make the log larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assert not out.exists()
    assert list(tmp_path.glob(".out.tmp-*"))  # SIGKILL leaves the temp dir behind...
    small = write_jsonl(tmp_path / "small.jsonl", [flywheel_line(1)])
    collect.run([str(small)], out)
    assert not list(tmp_path.glob(".out.tmp-*"))  # ...and the next run sweeps it
    assert out.joinpath("manifest.json").is_file()


def test_sigterm_unwinds_like_ctrl_c_and_leaves_nothing_behind(tmp_path):
    big = tmp_path / "big.jsonl"
    with open(big, "wb") as fh:
        for i in range(60_000):
            fh.write(orjson.dumps(flywheel_line(i)) + b"\n")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "slmconvert", "collect", str(big), "-o", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while not list(tmp_path.glob(".out.tmp-*/data/*.parquet")) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "error: interrupted; no partial output was left"
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


def test_parser_workers_exit_when_the_reader_is_killed(tmp_path):
    import psutil

    big = tmp_path / "big.jsonl"
    with open(big, "wb") as fh:
        for i in range(60_000):
            fh.write(orjson.dumps(flywheel_line(i)) + b"\n")
    cmd = [sys.executable, "-m", "slmconvert", "collect", str(big), "-o", str(tmp_path / "out")]
    spools_before = set(Path(parsing.SHARED_MEMORY).glob("slmconvert-*"))
    proc = subprocess.Popen([*cmd, "--workers", "3"])  # this process and two workers
    deadline = time.time() + 60
    workers: list = []
    while len(workers) < 2 and time.time() < deadline:
        workers = psutil.Process(proc.pid).children(recursive=True)
        time.sleep(0.1)
    assert len(workers) == 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
    # and the workers removed the spool the reader handed chunks over in
    assert set(Path(parsing.SHARED_MEMORY).glob("slmconvert-*")) <= spools_before


def test_worker_processes_give_the_same_output_as_one_process(tmp_path):
    # ~6 blocks of lines, so the parsing is shared between this process and the workers
    lines = [flywheel_line(i % 2500) for i in range(3000)]  # the last 500 repeat the first 500
    lines[1700] = b"{not json"
    log = write_jsonl(tmp_path / "big.jsonl", lines)

    one = collect.run([str(log)], tmp_path / "one", CollectConfig(workers=1))
    many = collect.run([str(log)], tmp_path / "many", CollectConfig(workers=3))

    assert one.manifest["counts"]["duplicates"] == 500
    assert one.manifest["counts"]["bad"] == 1
    assert many.manifest["counts"] == one.manifest["counts"]
    assert (
        open_input(tmp_path / "many").read_table().equals(open_input(tmp_path / "one").read_table())
    )


def test_the_collect_command_runs_without_importing_pandas(tmp_path):
    # pyarrow would import pandas (~0.2 s, ~45 MB per process) only to ask whether the records
    # are pandas objects; afterwards to_pandas() must still work in the same process
    log = write_jsonl(tmp_path / "log.jsonl", [flywheel_line(i) for i in range(20)])
    script = f"""
import sys
from typer.testing import CliRunner
from slmconvert.cli import app
result = CliRunner().invoke(app, ["collect", {str(log)!r}, "-o", {str(tmp_path / "out")!r}])
assert result.exit_code == 0, result.output
print("pandas" in sys.modules)
from slmconvert.core.stagedir import open_input
print(len(open_input({str(tmp_path / "out")!r}).read_table().to_pandas()))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "20"]


def test_a_killed_process_groups_spool_is_swept_by_the_next_collect(tmp_path):
    big = tmp_path / "big.jsonl"
    with open(big, "wb") as fh:
        for i in range(60_000):
            fh.write(orjson.dumps(flywheel_line(i)) + b"\n")
    cmd = [sys.executable, "-m", "slmconvert", "collect", str(big), "-o", str(tmp_path / "out"),
           "--workers", "3"]  # fmt: skip
    before = set(Path(parsing.SHARED_MEMORY).glob("slmconvert-*"))
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.time() + 60
    while (
        not (set(Path(parsing.SHARED_MEMORY).glob(f"slmconvert-{proc.pid}-*")))
        and time.time() < deadline
    ):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the reader and its workers at once: nobody cleans up
    proc.wait()
    left = set(Path(parsing.SHARED_MEMORY).glob(f"slmconvert-{proc.pid}-*"))

    collect.run([str(big)], tmp_path / "again", CollectConfig(workers=2))

    assert left, "the killed run had a spool"
    assert not any(p.exists() for p in left)
    assert set(Path(parsing.SHARED_MEMORY).glob("slmconvert-*")) <= before


CANARY = "canary-7f3a9 jane.roe@example.net"


def canary_lines() -> list:
    """Flywheel lines that each fail in a different field, the canary in the failing value."""
    broken = []
    for path, value in [
        (("request", "messages", 1, "role"), CANARY),
        (("request", "messages", 1, "content"), [{"type": CANARY, "text": "x"}]),
        (("request", "messages", 1, "content"), [{"type": "text", "text": 7}]),
        (("request", "tools", 0, "function", "name"), {"n": CANARY}),
        (("request", "tools", 0, "type"), CANARY),
        (("response", "choices"), CANARY),
        (("response", "choices", 0, "message", "tool_calls"), [{"function": CANARY}]),
        (("request", "messages"), {CANARY: CANARY}),
        (("timestamp",), CANARY),
        (("request", "model"), {"name": CANARY}),
    ]:
        obj = flywheel_line(len(broken))
        target = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        broken.append(obj)
    return [*broken, b'{"request": ' + CANARY.encode() + b"}", *map(flywheel_line, range(30, 60))]


def test_no_value_from_a_bad_record_reaches_stderr_the_manifest_or_the_report(cli, tmp_path):
    log = write_jsonl(tmp_path / "canary.jsonl", canary_lines())

    result = cli("collect", log, "-o", tmp_path / "out")
    report = cli("report", tmp_path, "--output", tmp_path / "r.html")

    assert result.exit_code == 0, result.output
    manifest = (tmp_path / "out" / "manifest.json").read_text()
    assert json.loads(manifest)["counts"]["bad"] >= 8
    for where in (result.stdout, result.stderr, manifest, (tmp_path / "r.html").read_text()):
        assert "canary-7f3a9" not in where and "jane.roe" not in where
    assert report.exit_code == 0


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
PEAK_RSS = """
import sys
from slmconvert.core.config import CollectConfig
from slmconvert.stages import collect
from slmconvert.testing.peak import peak_rss_bytes
collect.run([sys.argv[1]], sys.argv[2], CollectConfig(workers=1))
print(peak_rss_bytes())
"""


def langsmith_export(path: Path, megabytes: int) -> Path:
    """A LangSmith JSON array export of about ``megabytes``, the fixture's runs repeated."""
    from slmconvert.testing.exports import repeated_export

    repeated_export(orjson.loads((FIXTURES / "langsmith.json").read_bytes()), path, megabytes << 20)
    return path


def test_a_json_export_collects_in_memory_flat_in_its_size(tmp_path):
    peaks = []
    for megabytes in (16, 64):
        log = langsmith_export(tmp_path / f"export-{megabytes}.json", megabytes)
        run = subprocess.run(
            [sys.executable, "-c", PEAK_RSS, str(log), str(tmp_path / f"out-{megabytes}")],
            capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
        peaks.append(int(run.stdout.strip().splitlines()[-1]))
    # read whole, the 64 MB export alone would take ~11x its size (measured before streaming)
    assert peaks[1] - peaks[0] < 24 << 20, [p >> 20 for p in peaks]


def test_otlp_exports_and_json_lines_named_json_still_parse_whole(tmp_path):
    otel = collect.run([str(FIXTURES / "otel.json")], tmp_path / "otel", CollectConfig(workers=1))
    lines = tmp_path / "named.json"
    lines.write_bytes((FIXTURES / "openai.jsonl").read_bytes())
    named = collect.run([str(lines)], tmp_path / "named", CollectConfig(workers=1))

    assert otel.counts["records"] > 0 and otel.counts["bad"] == 0
    assert named.counts["records"] > 0 and named.counts["bad"] == 0


def test_a_vision_and_research_agents_log_keeps_every_call_and_counts_its_media(tmp_path):
    def openai(parts):
        request = {"model": "gpt-4o", "messages": [{"role": "user", "content": parts}]}
        return {"request": request, "response": {"choices": [{"message": {"content": "Ok."}}]}}

    photo = {"type": "image_url", "image_url": {"url": "https://cdn.example.com/p/1.jpg"}}
    voice = {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}}
    search = {
        "request": {"model": "claude-sonnet-4", "messages": [{"role": "user", "content": "News?"}]},
        "response": {
            "type": "message",
            "content": [
                {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"q": "n"}},
                {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []},
                {"type": "text", "text": "Nothing new."},
            ],
        },
    }
    lines = [
        openai([{"type": "text", "text": "What is this?"}, photo]),
        openai([{"type": "text", "text": "Transcribe"}, voice, photo]),
        openai("A plain question"),
    ]
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "vision.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    (fleet / "research.jsonl").write_text(json.dumps(search))

    counts = collect.run([str(fleet)], tmp_path / "out").counts

    assert counts["records"] == 4 and counts["bad"] == 0
    assert counts["with_media"] == 2
    assert counts["media_by_kind"] == {"audio": 1, "image": 2}
    assert counts["provider_tool_calls"] == 1
    rows = open_input(tmp_path / "out").read_table().to_pylist()
    assert sorted(r["has_media"] for r in rows) == [False, False, True, True]
    assert "cdn.example.com" not in json.dumps(rows)
