"""Phone numbers by shape, beside Presidio's validating recognizer.

Presidio's `PhoneRecognizer` validates numbers with `phonenumbers`, so a number with an
unassigned area code, ``(221) 381-4788``, passes although anyone reads it as a phone number.
This recognizer reports what is shaped like a phone number:

- formatted North American numbers, ``(221) 381-4788``, ``221-381-4788``, ``264.815.1382``,
  ``+1 265-838-5308``, with an optional extension (``x12``, ``ext. 12``);
- international numbers written with ``+`` and a country code, ``+44 20 7946 0958``;
- other digit groups (``0176 1234 5678``, ``2213814788``) only after a context word such as
  phone, tel, call, mobile or WhatsApp.

Guards keep what only looks like digits: ISO dates and timestamps, version strings, IP
addresses, amounts, and digits inside an identifier (``ORD-2025-033418``, ``SKU 4411-22``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from slmconvert.pii.spans import Found, span_recognizer

ENTITY = "PHONE_NUMBER"
SCORE, CONTEXT_SCORE = 0.7, 0.6
CONTEXT = re.compile(
    r"(?i)\b(?:phone|tel|telephone|call|calls|callback|call back|mobile|cell|cellphone|whatsapp|"
    r"fax|sms|text|text me|reach me|contact|contact number|hotline|helpline|dial|ring|telefon|"
    r"t[ée]l[ée]fono|portable|handy)\b[^0-9\n]{0,24}$"
)
EXTENSION = r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?"
NANP = re.compile(
    r"(?<![\w.+/-])(?:(?:\+|00)?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}" + EXTENSION
    + r"(?![\w.-]*\d)"
)  # fmt: skip
INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}\d" + EXTENSION)
LOOSE = re.compile(
    r"(?<![\w.+/-])\(?\d{2,5}\)?(?:[\s./-]{0,2}\d{1,5}){1,5}" + EXTENSION + r"(?![\w.-]*\d)"
)
DATE_OR_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}:\d{2}|^\d{2}/\d{2}/\d{4}$")
MIN_DIGITS, MAX_DIGITS = 7, 15


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _plausible(text: str, value: str, start: int) -> bool:
    """Not a date, time, version, IP, amount or part of an identifier."""
    number = re.sub(r"\s*(?:x|ext\.?|extension)\s*\d{1,6}$", "", value)
    if not MIN_DIGITS <= _digits(number) <= MAX_DIGITS or DATE_OR_TIME.match(value):
        return False
    before = text[max(0, start - 1) : start]
    if before in ("$", "€", "£", "#") or (before.isalpha() and before != "x"):
        return False
    parts = re.split(r"[.]", value)
    return not (len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts))


def find_phones(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of every phone-shaped number in ``text``."""
    found: list[tuple[int, int, float]] = []
    for pattern in (NANP, INTERNATIONAL):
        for m in pattern.finditer(text):
            if _plausible(text, m.group(), m.start()) and not _inside(found, m.start()):
                found.append((m.start(), m.end(), SCORE))
    for m in LOOSE.finditer(text):
        if _inside(found, m.start()) or not CONTEXT.search(
            text[max(0, m.start() - 60) : m.start()]
        ):
            continue
        if _plausible(text, m.group(), m.start()):
            found.append((m.start(), m.end(), CONTEXT_SCORE))
    return sorted(found)


def _inside(found: list[tuple[int, int, float]], at: int) -> bool:
    return any(start <= at < end for start, end, _ in found)


@lru_cache(maxsize=16_384)
def _found(text: str) -> Found:
    if _digits(text) < MIN_DIGITS:
        return ()
    return tuple((s, e, ENTITY, score) for s, e, score in find_phones(text))


def phone_shape_recognizer(entities: Iterable[str] | None = None):
    """A Presidio recognizer for phone-shaped numbers (``could_match`` is exact)."""
    return span_recognizer("SlmconvertPhoneShapeRecognizer", [ENTITY], _found)
