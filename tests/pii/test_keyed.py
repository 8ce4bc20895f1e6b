"""Secrets known by their key: scrubbed whatever the value looks like, and nothing else."""

from __future__ import annotations

import pytest

from slmconvert.pii import PiiSettings


def test_a_value_under_a_secret_key_is_scrubbed_whatever_it_looks_like():
    from slmconvert.pii.scrub import Scrubber
    from slmconvert.records import message, new_record, tool_call

    secret = "correct horse " + "battery staple"  # built here: no secret-shaped literal
    record = new_record(
        source={"format": "openai", "file": "a.jsonl", "line": 1},
        messages=[message("user", f"log in with password: {secret.split()[0]} please")],
        response=message(
            "assistant", None, [tool_call("login", {"user": "ann", "password": secret})]
        ),
    )

    with Scrubber(PiiSettings()) as scrubber:
        [clean], _ = scrubber.scrub_batch([record])

    text = str(clean)
    assert secret not in text and "correct" not in text
    assert (
        "KEYED_SECRET" in text and '"user":"ann"' in clean["response"]["tool_calls"][0]["arguments"]
    )


@pytest.mark.parametrize("text", ["tokens used: 12", "the key to success", "max tokens: 256"])
def test_words_near_secret_keys_are_not_secrets(text):
    from slmconvert.pii.keyed import find_keyed_secrets

    assert find_keyed_secrets(text) == []
