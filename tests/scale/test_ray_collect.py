"""collect on Ray (a real local Ray, loopback only), the workers reading the files: the records,
counts, bad lines and manifest inputs of the local engine, and the driver reads heads only."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
from collections import Counter
from pathlib import Path

import orjson
import pytest

from slmconvert.core.config import CollectConfig
from slmconvert.core.errors import InputError
from slmconvert.core.progress import NoProgress
from slmconvert.core.stagedir import open_input
from slmconvert.formats import sources
from slmconvert.scale import ray_collect
from slmconvert.stages import collect

pytest.importorskip("ray", reason="the Ray engine needs pip install slmconvert[ray]")

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "tests" / "fixtures" / "formats"


def records(path) -> list[dict]:
    return sorted(open_input(path).read_table().to_pylist(), key=lambda r: r["id"])


def both_engines(inputs: list[str], tmp_path, **settings):
    """collect's manifests on the local engine (one process) and on Ray, records checked equal."""
    local = collect.run(inputs, tmp_path / "local", CollectConfig(workers=1, **settings))
    lines: list[str] = []
    settings = CollectConfig(engine="ray", **settings)
    on_ray = collect.run(inputs, tmp_path / "ray", settings, log=lines.append)

    assert any("Ray at local" in line for line in lines)
    assert records(tmp_path / "ray") == records(tmp_path / "local")  # source.line included
    for key in ("inputs", "counts", "bad_examples", "warnings", "metrics"):
        assert on_ray.manifest[key] == local.manifest[key], key
    return local.manifest, on_ray.manifest


def finetune_line(i: int) -> bytes:
    turns = [{"role": "user", "content": f"Where is order {i}?"},
             {"role": "assistant", "content": f"Order {i} ships tomorrow."}]  # fmt: skip
    return orjson.dumps({"messages": turns})


def awkward_jsonl(lines: int = 300, bad: tuple[int, ...] = (137,)) -> bytes:
    """JSON Lines with CRLF on every third line, an empty line every 50, invalid JSON at the
    ``bad`` lines, a record without messages at line 211, and no final newline."""
    out = []
    for n in range(1, lines + 1):
        if n in bad:
            line = b"{not json"
        elif n == 211:
            line = b'{"messages": []}'
        elif n % 50 == 0:
            line = b""
        else:
            line = finetune_line(n)
        out.append(line + (b"\r" if n % 3 == 0 else b""))
    return b"\n".join(out)


def test_the_example_logs_give_the_local_engines_records_counts_and_manifest(tmp_path, local_ray):
    local, _ = both_engines([str(ROOT / "examples" / "logs")], tmp_path)

    assert {i["format"] for i in local["inputs"]} >= {"openai", "anthropic", "litellm"}


def test_files_of_every_kind_in_small_ranges_give_what_the_local_engine_gives(
    tmp_path, local_ray, monkeypatch
):
    monkeypatch.setattr(ray_collect, "RANGE_BYTES", 4096)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a-plain.jsonl").write_bytes(awkward_jsonl())  # 9 ranges
    shutil.copy(FORMATS / "openai-responses.jsonl", logs / "b-responses.jsonl")  # a side input
    shutil.copy(FORMATS / "langsmith.json", logs / "c-export.json")
    shutil.copy(FORMATS / "otel.json", logs / "d-otel.json")
    (logs / "e-packed.jsonl.gz").write_bytes(
        gzip.compress((FORMATS / "anthropic.jsonl").read_bytes())
    )
    (logs / "f-empty.jsonl").write_bytes(b"")
    # no format within the driver's 64 KiB peek: a task reads on to find one, or none
    (logs / "g-late.jsonl").write_bytes(b"not json\n" * 8000 + finetune_line(1) + b"\n")
    (logs / "h-junk.jsonl").write_bytes(b"not json\n" * 8000)

    local, on_ray = both_engines([str(logs)], tmp_path, max_bad_ratio=1.0)

    formats_ = {Path(i["path"]).name: i.get("format") for i in on_ray["inputs"]}
    assert formats_["c-export.json"] == "langsmith" and formats_["h-junk.jsonl"] is None
    assert f"{logs / 'a-plain.jsonl'}:137: line: invalid JSON" in on_ray["bad_examples"]
    assert on_ray["counts"]["bad"] == 1 + 1 + 16_000
    assert any("f-empty.jsonl: empty" in w for w in on_ray["warnings"])


def test_a_bad_line_in_a_file_of_many_tiny_ranges_is_reported_at_its_line(
    tmp_path, local_ray, monkeypatch
):
    log = tmp_path / "log.jsonl"
    log.write_bytes(awkward_jsonl(lines=60, bad=(7, 33)))  # about 70 bytes a line
    with ray_collect.RayFileParser({}, range_bytes=50) as parser:
        results = [r for _, r in parser.results(sources.expand([str(log)]), NoProgress(), None)]

    assert len(results) > 60  # a range every 50 bytes, many of them without a line of their own
    assert [line for r in results for line, _, _ in r.bad] == [7, 33]
    numbers = [
        n for r in results for n in r.table["source"].combine_chunks().field("line").to_pylist()
    ]
    assert numbers == [n for n in range(1, 61) if n not in (7, 33, 50)]  # 50 is empty

    monkeypatch.setattr(ray_collect, "RANGE_BYTES", 50)
    _, on_ray = both_engines([str(log)], tmp_path, max_bad_ratio=1.0)
    assert on_ray["bad_examples"] == [f"{log}:{n}: line: invalid JSON" for n in (7, 33)]


def test_the_driver_reads_the_head_of_a_file_and_the_workers_the_rest(
    tmp_path, local_ray, monkeypatch
):
    log = tmp_path / "big.jsonl"
    log.write_bytes(b"\n".join(finetune_line(n) for n in range(40_000)) + b"\n")  # ~5 MB
    read = Counter()
    opened = sources._open_raw

    def counting(source):  # every read this process makes, by file
        return _Counting(opened(source), read, source.path)

    monkeypatch.setattr(sources, "_open_raw", counting)
    local = collect.run([str(log)], tmp_path / "local", CollectConfig(workers=1))
    on_local = read.pop(str(log))
    on_ray = collect.run([str(log)], tmp_path / "ray", CollectConfig(engine="ray"))

    size = log.stat().st_size
    assert on_local > size  # the local engine's peek and full read
    assert read[str(log)] <= 3 * sources.HEAD_BUFFER  # two peeks and the magic bytes
    assert on_ray.manifest["inputs"] == local.manifest["inputs"]
    assert on_ray.manifest["inputs"][0]["bytes"] == size
    assert on_ray.manifest["inputs"][0]["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert on_ray.counts == local.counts


class _Counting(io.RawIOBase):
    """A raw file that counts the bytes read from it into ``counts[name]``."""

    def __init__(self, raw, counts: Counter, name: str):
        self.raw, self.counts, self.name = raw, counts, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer) or 0
        self.counts[self.name] += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def test_a_truncated_gzip_read_on_a_worker_names_the_file_as_given(
    tmp_path, local_ray, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    packed = gzip.compress(b"\n".join(finetune_line(n) for n in range(2000)))
    (tmp_path / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])

    with pytest.raises(InputError) as caught:
        collect.run(["cut.jsonl.gz"], tmp_path / "out", CollectConfig(engine="ray"))

    assert str(caught.value).startswith("cut.jsonl.gz: truncated or corrupt compressed stream")


def test_stdin_is_read_here_and_parsed_on_ray(cli, tmp_path, local_ray):
    body = b"\n".join(finetune_line(n) for n in range(50)).decode()
    result = cli("collect", "-", "-o", tmp_path / "out", "--engine", "ray", input=body)

    assert result.exit_code == 0, result.output
    assert open_input(tmp_path / "out").read_table().num_rows == 50
