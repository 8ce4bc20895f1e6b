"""Reading a plain JSON Lines file in byte ranges (what Ray workers do): the ranges join up to
the file whatever the boundaries, and a file's digest is what a full read records."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from slmconvert.formats import sources

CONTENTS = {
    "newline at the end": b'{"a": 1}\n{"b": 22}\n\n{"c": 333}\n',
    "no final newline": b'{"a": 1}\n{"b": 22}\n{"c": 333}',
    "crlf": b'{"a": 1}\r\n\r\n{"b": 22}\r\n{"c": 333}\r\n',
    "empty lines only": b"\n\n\n",
    "one line": b'{"a": 1}',
    "empty": b"",
}


@pytest.mark.parametrize("content", CONTENTS.values(), ids=CONTENTS.keys())
def test_ranges_of_every_size_join_up_to_the_file_with_its_lines(tmp_path, content):
    path = tmp_path / "log.jsonl"
    path.write_bytes(content)
    for size in range(1, len(content) + 2):
        blocks = [
            sources.read_range(str(path), start, min(start + size, len(content)))
            for start in range(0, len(content), size)
        ]
        assert b"".join(blocks) == content, size
        assert sum(b.count(b"\n") for b in blocks) == content.count(b"\n")
        for k in range(len(blocks)):  # each block starts a line
            before = b"".join(blocks[:k])
            assert before in (b"", content) or before.endswith(b"\n")


def test_a_range_owns_the_lines_that_start_in_it(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"aaaa\nbbbb\ncccc\n")  # lines start at 0, 5 and 10

    assert sources.read_range(str(path), 0, 5) == b"aaaa\n"  # ends on a newline: 5 is the next's
    assert sources.read_range(str(path), 5, 6) == b"bbbb\n"  # read past the end to the newline
    assert sources.read_range(str(path), 1, 5) == b""  # no line starts in it
    assert sources.read_range(str(path), 4, 11) == b"bbbb\ncccc\n"  # the newline at 4 ends line 1


def test_the_digest_is_the_hash_and_size_a_full_read_records(tmp_path):
    plain = tmp_path / "log.jsonl"
    plain.write_bytes(b'{"a": 1}\n' * 1000)
    packed = tmp_path / "log.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))

    for path in (plain, packed):
        log = sources.LogFile(str(path))
        for _ in sources.iter_objects(log):
            pass
        assert sources.digest(str(path)) == (log.sha256, log.bytes_read)
        assert log.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not sources.is_compressed(sources.LogFile(str(plain)))
    assert sources.is_compressed(sources.LogFile(str(packed)))


def test_a_peek_through_a_small_buffer_reads_the_head_only(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 100_000)  # 900 kB
    log = sources.LogFile(str(path))

    head = sources.iter_objects(log, buffer=sources.HEAD_BUFFER)
    assert next(head) == (1, {"a": 1})
    assert log.bytes_read == sources.HEAD_BUFFER
    head.close()
