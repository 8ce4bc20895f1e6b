"""Secrets known by their key: scrubbed whatever the value looks like, and nothing else."""

from __future__ import annotations

import pytest

from slmconvert.pii import PiiSettings


def test_a_value_under_a_secret_key_is_scrubbed_whatever_it_looks_like():
    from slmconvert.core.records import message, new_record, tool_call
    from slmconvert.pii.scrub import Scrubber

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


def _random(alphabet: str, n: int, seed: int) -> str:
    import random

    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"


def built_secrets() -> dict[str, str]:
    """Secret-shaped strings made here at test time, so none is committed to the repository."""
    return {
        "STRIPE_KEY": "sk_" + "live_" + _random(ALNUM, 24, 1),
        "HUGGINGFACE_TOKEN": "hf_" + _random(ALNUM, 34, 2),
        "GOOGLE_OAUTH_TOKEN": "ya29" + "." + _random(ALNUM + "_-", 60, 3),
        "NPM_TOKEN": "npm_" + _random(ALNUM, 36, 4),
        "PYPI_TOKEN": "pypi-" + "AgEIcHlwaS5vcmc" + _random(ALNUM + "_-", 60, 5),
        "TWILIO_API_KEY": "SK" + _random(HEX, 32, 6),
        "SENDGRID_API_KEY": "SG." + _random(ALNUM, 22, 7) + "." + _random(ALNUM, 43, 8),
    }


@pytest.fixture(scope="module")
def analyzer():
    from slmconvert.pii.engine import build_analyzer

    return build_analyzer(PiiSettings())


@pytest.mark.parametrize("entity", sorted(built_secrets()))
def test_each_added_secret_shape_is_found(analyzer, entity):
    value = built_secrets()[entity]
    text = f"deploy with {value} (do not share)"

    found = [(e, text[s:end]) for s, end, e in analyzer.analyze_text(text)]

    assert found == [(entity, value)]


def test_an_azure_storage_key_is_found_in_its_connection_string(analyzer):
    key = _random(ALNUM + "+/", 86, 9) + "=="
    text = f"DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={key};EndpointSuffix=x"

    found = [(e, text[s:end]) for s, end, e in analyzer.analyze_text(text)]

    assert ("AZURE_STORAGE_KEY", key) in found
