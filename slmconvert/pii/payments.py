"""Card numbers and IBANs, beside Presidio's recognizers for both.

Cards.
Presidio's pattern knows 13-16 digit numbers starting 3, 4, 5 or 6; it misses Mastercard's
2-series (2221-2720), 19-digit Visa, Maestro, JCB's 15-digit ``2131``/``1800`` numbers and
12-digit Maestro. This recognizer reports a 12-19 digit number (plain, or in groups split by
spaces or dashes) that passes the Luhn check and starts with a scheme's issuer prefix; a
12-digit one only after a card word (``card``, ``pan``, ``visa``, ``paid with``), since one
random 12-digit number in ten passes Luhn.

IBANs. Presidio's pattern is case-insensitive, so an IBAN followed by a word (``... within 3
days``) takes the word's letters into the match and fails validation. This recognizer reads an
upper-case country code, two check digits and 11-30 letters and digits (compact or in groups of
four) and keeps what passes the ISO 13616 mod-97 check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from slmconvert.pii.spans import Found, span_recognizer

ENTITY = "CREDIT_CARD"
IBAN_ENTITY = "IBAN_CODE"
SCORE = 0.8
IBAN = re.compile(r"(?<![\w-])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![\w-])")
NUMBER = re.compile(r"(?<![\w.+/-])\d{4}(?:[ -]?\d{2,7}){1,4}(?![\w.-]*\d)")
CONTEXT = re.compile(
    r"(?i)\b(?:card|cards|pan|visa|mastercard|maestro|amex|jcb|discover|diners|unionpay|"
    r"paid with|pay with|payment|charge|charged|credit|debit)\b[^0-9\n]{0,24}$"
)
PREFIXES = (
    ("4",),
    tuple(str(p) for p in range(51, 56)) + tuple(str(p) for p in range(2221, 2721)),
    ("34", "37"),
    ("6011", "65") + tuple(str(p) for p in range(644, 650)),
    tuple(str(p) for p in range(3528, 3590)) + ("2131", "1800"),
    tuple(str(p) for p in range(300, 306)) + ("36", "38", "39"),
    ("50", "0604") + tuple(str(p) for p in range(56, 70)),
    ("62",),
)
"""Issuer prefixes: Visa, Mastercard, Amex, Discover, JCB, Diners, Maestro, UnionPay."""
_PREFIXES = tuple(p for group in PREFIXES for p in group)


def luhn(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_cards(text: str) -> list[tuple[int, int]]:
    """Spans of card numbers in ``text``."""
    spans = []
    for m in NUMBER.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if not 12 <= len(digits) <= 19 or not digits.startswith(_PREFIXES) or not luhn(digits):
            continue
        if len(digits) == 12 and not CONTEXT.search(text[max(0, m.start() - 40) : m.start()]):
            continue
        spans.append(m.span())
    return spans


def iban_valid(value: str) -> bool:
    """True when ``value`` (spaces allowed) passes the IBAN mod-97 check."""
    compact = value.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def find_ibans(text: str) -> list[tuple[int, int]]:
    """Spans of IBANs in ``text``."""
    return [m.span() for m in IBAN.finditer(text) if iban_valid(m.group())]


@lru_cache(maxsize=16_384)
def _found(text: str) -> Found:
    cards = [(s, e, ENTITY, SCORE) for s, e in find_cards(text)]
    return tuple(cards + [(s, e, IBAN_ENTITY, SCORE) for s, e in find_ibans(text)])


def payment_recognizer(entities: Iterable[str]):
    """A Presidio recognizer for card numbers and IBANs among ``entities``."""
    wanted = [e for e in (ENTITY, IBAN_ENTITY) if e in set(entities)]
    return span_recognizer("SlmconvertPaymentRecognizer", wanted, _found)
