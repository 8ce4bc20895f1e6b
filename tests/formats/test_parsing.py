"""Parsing chunks in worker processes: the same results as in-process, handed over through a
spool in shared memory that leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import stat

import orjson
import pytest

from slmconvert.formats import parsing
from slmconvert.formats.parsing import ChunkParser, parse_chunk

needs_shared_memory = pytest.mark.skipif(
    not os.access(parsing.SHARED_MEMORY, os.W_OK), reason="no writable /dev/shm"
)


def finetune_jobs(blocks: int = 6, lines: int = 300) -> list[tuple[str, str, tuple[int, bytes]]]:
    """``(format, file, (first_line, block))`` jobs of OpenAI fine-tuning lines, one bad."""
    jobs = []
    for b in range(blocks):
        rows = [
            orjson.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"Where is order {b * lines + i}?"},
                        {"role": "assistant", "content": "It ships tomorrow."},
                    ]
                }
            )
            for i in range(lines)
        ]
        if b == 2:
            rows[7] = b"{not json"
        jobs.append(("openai-finetune", "log.jsonl", (1 + b * lines, b"\n".join(rows) + b"\n")))
    return jobs


def assert_same(results, expected) -> None:
    assert len(results) == len(expected)
    for got, want in zip(results, expected, strict=True):
        assert got.table.equals(want.table)
        assert got.keys == want.keys
        assert got.bad == want.bad


@needs_shared_memory
def test_workers_hand_chunks_over_in_shared_memory_and_leave_nothing_there():
    jobs = finetune_jobs()
    expected = [parse_chunk(*job) for job in jobs]
    with ChunkParser({}, workers=1) as parser:
        spool = parser.spool
        assert spool is not None and spool.startswith(parsing.SHARED_MEMORY)
        assert stat.S_IMODE(os.stat(spool).st_mode) == 0o700  # logs hold personal data
        results = list(parser.map(jobs))
        assert os.listdir(spool) == []  # every block and table was taken and unlinked
    assert not os.path.exists(spool)
    assert_same(results, expected)
    assert results[2].bad == [(1 + 2 * 300 + 7, "line", "invalid JSON")]


def test_without_shared_memory_chunks_travel_through_the_pipe(tmp_path, monkeypatch):
    monkeypatch.setattr(parsing, "SHARED_MEMORY", str(tmp_path / "no-such-dir"))
    jobs = finetune_jobs()
    with ChunkParser({}, workers=1) as parser:
        assert parser.spool is None
        results = list(parser.map(jobs))
    assert_same(results, [parse_chunk(*job) for job in jobs])


@needs_shared_memory
def test_a_spool_that_cannot_be_written_falls_back_to_the_pipe():
    # as when a container's small /dev/shm fills up: every write fails, nothing is lost
    jobs = finetune_jobs()
    with ChunkParser({}, workers=1) as parser:
        shutil.rmtree(parser.spool)
        results = list(parser.map(jobs))
    assert_same(results, [parse_chunk(*job) for job in jobs])


@needs_shared_memory
def test_a_spooled_block_is_handed_over_once_and_the_sender_lets_go_of_it():
    import pickle

    block = b'{"messages": []}\n' * 1000
    with ChunkParser({}, workers=1) as parser:
        sent = parsing.SpooledBytes(block)
        wire = pickle.dumps(sent)
        assert len(wire) < 1000 < len(block)  # a file name went through, not the block
        assert sent.data == b""
        assert pickle.loads(wire) == block
        assert os.listdir(parser.spool) == []
