"""Phone numbers by shape: what Presidio's validating recognizer lets through, and what stays."""

from __future__ import annotations

import pytest

from slmconvert.pii import PiiSettings
from slmconvert.pii.engine import build_analyzer
from slmconvert.pii.phones import find_phones


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer(PiiSettings())


def phones(analyzer, text: str) -> list[str]:
    return [text[s:e] for s, e, entity in analyzer.analyze_text(text) if entity == "PHONE_NUMBER"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Call me at (221) 381-4788 please", "(221) 381-4788"),  # unassigned area code
        ("or on +1 265-838-5308 after six", "+1 265-838-5308"),
        ("my cell 264.815.1382", "264.815.1382"),
        ("the desk: 221-381-4788 ext. 12", "221-381-4788 ext. 12"),
        ("London office +44 20 7946 0958", "+44 20 7946 0958"),
        ("mobile: 0176 1234 5678", "0176 1234 5678"),  # a German form, after a context word
        ('{"phone": "2213814788"}', "2213814788"),
    ],
)
def test_phone_shaped_numbers_are_found_whether_or_not_they_validate(analyzer, text, number):
    assert number in phones(analyzer, text)


@pytest.mark.parametrize(
    "text",
    [
        "order ORD-2025-033418 was placed on 2025-05-01 at 10:30:00",
        "upgrade to v1.2.3 on host 10.20.30.40",
        "the total is $1,299.00 for 3 items",
        "SKU 4411-22 and invoice 2024-000123",
        "tracking 1Z999AA10123456784",
        "reference 123-456-7890-12",
        "between 2213814788 and 2213814799 units",  # a bare number with no context word
    ],
)
def test_order_numbers_amounts_dates_versions_and_ids_stay(text):
    assert find_phones(text) == []
