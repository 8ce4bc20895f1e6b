"""Secrets known by their key: ``password: hunter2``, ``api_key=...``, ``{"token": "..."}``.

Whatever a value under a secret-looking key looks like, it is scrubbed: a password is personal
whether or not it has a recognisable shape. In free text the value is the token after the key
and ``:`` or ``=``; a JSON value under such a key (analysed as ``"<key words>: value"``) is
scrubbed whole.
"""

from __future__ import annotations

import re
from functools import lru_cache

from slmconvert.pii.spans import Found, span_recognizer

ENTITY = "KEYED_SECRET"
SCORE = 0.9
_KEYS = (
    r"password|passwd|pwd|passphrase|pass code|passcode|secret|client secret|secret key|"
    r"api key|apikey|access key|access token|auth token|refresh token|session token|token|"
    r"private key|credentials?"
)
_KEY_WORDS = re.compile(rf"(?i)^(?:[a-z]+ )*(?:{_KEYS})$")
_PAIR = re.compile(
    rf"(?i)(?<![A-Za-z0-9])(?:{_KEYS.replace(' ', '[ _-]?')})[\"']?"
    r"(?:\s*[:=]\s*|\s+is\s+|\s+was\s+)[\"']?(?P<value>(?!(?:the|a|an|not|now|still|wrong|"
    r"invalid|incorrect|correct|expired|required|missing|empty|set|reset|changed|too|being|"
    r"case|in|on|at)\b)[^\s\"',;}]+?)(?=[.]?(?:[\s\"',;}]|$))"
)
_CHEAP = re.compile(r"(?i)pass|pwd|secret|key|token|credential")


def find_keyed_secrets(text: str) -> list[tuple[int, int]]:
    """(start, end) of every value under a secret-looking key in ``text``."""
    if not _CHEAP.search(text):
        return []
    key_end = text.find(": ")
    if 0 < key_end <= 48 and _KEY_WORDS.match(text[:key_end]) and text[key_end + 2 :].strip():
        return [(key_end + 2, len(text.rstrip()))]  # a JSON value under the key: all of it
    return [(m.start("value"), m.end("value")) for m in _PAIR.finditer(text)]


@lru_cache(maxsize=16_384)
def _found(text: str) -> Found:
    return tuple((s, e, ENTITY, SCORE) for s, e in find_keyed_secrets(text))


def keyed_secret_recognizer():
    """A Presidio recognizer for values under secret-looking keys."""
    return span_recognizer("SlmconvertKeyedSecretRecognizer", [ENTITY], _found)
