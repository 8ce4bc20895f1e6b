"""Names and street addresses without NER: found everywhere, ordinary values left alone."""

from __future__ import annotations

import orjson
import pytest

from slmconvert.core.records import message, new_record, tool_call
from slmconvert.pii import PiiSettings
from slmconvert.pii.engine import build_analyzer
from slmconvert.pii.names import find_names, gazetteer
from slmconvert.pii.recognizers import find_addresses
from slmconvert.pii.scrub import Scrubber


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer(PiiSettings())


def found(analyzer, text: str) -> list[tuple[str, str]]:
    return [(entity, text[s:e]) for s, e, entity in analyzer.analyze_text(text)]


def test_the_census_gazetteer_is_built_once_and_folds_spellings():
    names = gazetteer()
    assert gazetteer() is names
    assert all(names.given(n) for n in ("Maria", "Megan", "José", "Priya", "Will"))
    assert all(names.surname(n) for n in ("Garcia", "García", "Smith", "Müller", "O'Brien"))
    assert names.given("Else") == 0 and names.given("Job") == 0
    assert names.given("Mark") > names.given("Giuseppe") > 0  # counts, not just membership
    assert not gazetteer(False).given("Maria")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Will Power is what it takes", []),  # everyday words, and "Power" a rare surname
        ("Check the Rose Garden menu", []),
        ("Mark Brown called", ["Mark Brown"]),  # everyday words, but both very common names
        ("Giuseppe Rossi wrote", ["Giuseppe Rossi"]),
    ],
)
def test_pairs_of_everyday_words_need_common_names(analyzer, text, expected):
    assert [v for e, v in found(analyzer, text) if e == "PERSON"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi, I'm Maria Garcia and my order is late", ["Maria Garcia"]),
        ("Customer: John Smith", ["John Smith"]),
        ("Will Smith called", ["Will Smith"]),
        ("Mary Ann Smith wrote", ["Mary Ann Smith"]),
        ("Garcia, Maria", ["Garcia, Maria"]),
        ("Ask Mr. Okafor or Dr Smith", ["Mr. Okafor", "Dr Smith"]),
        ("Hi Megan! Your order shipped.", ["Megan"]),
        ("Thanks for waiting, Megan.", ["Megan"]),
        ("[16:39] Kimberly: I need to change the address", ["Kimberly"]),
        ("This is Jonathan, customer 42.", ["Jonathan"]),
        ("Best regards,\nMegan Chang", ["Megan Chang"]),
        ("my name is Zyx Qwerty", ["Zyx Qwerty"]),
    ],
)
def test_names_in_free_text(analyzer, text, expected):
    assert [v for e, v in found(analyzer, text) if e == "PERSON"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("customer name: Zyx Qwerty", ["Zyx Qwerty"]),
        ("recipient: Zyx", ["Zyx"]),
        ("full name: Ngozi Adaeze Okonkwo", ["Ngozi Adaeze Okonkwo"]),
        ("name: Danielle Casey", ["Danielle Casey"]),
        ("name: Paul", ["Paul"]),
        ("name: Jetson Orin Nano", []),
        ("name: Jetson Beanie", []),
        ("name: NVIDIA Green Polo", []),
        ("product name: Jetson Orin Nano", []),
        ("name: lookup_order", []),
    ],
)
def test_name_keyed_values(analyzer, text, expected):
    assert [v for e, v in found(analyzer, text) if e == "PERSON"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ship to 1234 Elm Street, Springfield, IL 62704 please", "1234 Elm Street, Springfield, IL 62704"),
        ("221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE"),
        ("170 Hernandez Oval Apt. 351, West Tracyport, MT 98738.", "170 Hernandez Oval Apt. 351, West Tracyport, MT 98738"),
        ("delivered to 74946 Emily Garden today", "74946 Emily Garden"),
        ("Studio 7, Pearson Court", "Studio 7, Pearson Court"),
        ("10 Downing St, London SW1A 2AA", "10 Downing St, London SW1A 2AA"),
        ("street: 93328 Davis Island", "93328 Davis Island"),
    ],
)  # fmt: skip
def test_street_addresses(analyzer, text, expected):
    assert found(analyzer, text) == [("STREET_ADDRESS", expected)]


def test_postal_codes_only_under_postal_keys(analyzer):
    assert found(analyzer, "postal code: 62704") == [("POSTAL_CODE", "62704")]
    assert found(analyzer, "postcode: PL07 3YE") == [("POSTAL_CODE", "PL07 3YE")]
    assert found(analyzer, "IL 62704") == []
    assert found(analyzer, "count: 62704") == []


ORDINARY_TEXTS = [
    "Jetson Orin Nano",
    "NVIDIA Gear Store",
    "Order support agent for the NVIDIA Gear Store online shop.",
    "order ORD-2025-004812 placed",
    "SKU-88321 x2",
    "Will you ship it by May 3?",
    "May 3",
    "Shipped via UPS Ground on Friday, May 3.",
    "tracking 1Z999AA10123456784",
    "total $129.99 (tax $10.40)",
    "Black Friday Sale",
    "GeForce RTX 4090 Founders Edition",
    "Jetson AGX Orin 64GB Developer Kit",
    "2 Canvas Tote Bag",
    "5 Day Pass",
    "step 3 Data Center",
    "Best, the Support Team",
    "January February March April June July August",
    "Dear customer, thanks for waiting.",
]


@pytest.mark.parametrize("text", ORDINARY_TEXTS)
def test_ordinary_values_are_not_names_or_addresses(analyzer, text):
    assert found(analyzer, text) == []
    assert find_names(text) == [] or text.startswith("Best")
    assert find_addresses(text) == []


def test_prefilter_skips_strings_without_a_name_or_address(analyzer):
    assert analyzer.possible_entities("the order shipped on time") == ()
    assert "PERSON" in analyzer.possible_entities("Hi Megan!")
    assert "STREET_ADDRESS" in analyzer.possible_entities("at 12 Elm Street")
    assert "PERSON" not in analyzer.possible_entities("Jetson Orin Nano")


def _record() -> dict:
    args = {
        "order_id": "ORD-2025-004812",
        "recipient": "Zyx Qwerty",
        "street": "74946 Emily Garden",
    }
    result = {
        "status": "shipped",
        "tracking": "1Z999AA10123456784",
        "items": [{"name": "Jetson Orin Nano", "sku": "SKU-88321"}],
        "shipping_address": {
            "name": "Maria Garcia",
            "street": "1234 Elm Street",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62704",
        },
        "notes": "Customer Maria Garcia asked about 221B Baker Street, London NW1 6XE",
    }
    return new_record(
        source={"format": "test"},
        messages=[
            message("system", "Signed-in customer: John Smith. Store: NVIDIA Gear Store."),
            message("user", "Hi, I'm Maria Garcia. Will you ship ORD-2025-004812 by May 3?"),
            message("assistant", None, [tool_call("update", args, id="c1")]),
            message("tool", orjson.dumps(result).decode(), tool_call_id="c1"),
        ],
        response=message("assistant", "Thanks, Maria Garcia! It ships to 1234 Elm Street."),
    )


PERSONAL = ["Maria Garcia", "John Smith", "Zyx Qwerty", "1234 Elm Street", "74946 Emily Garden",
            "221B Baker Street", "62704", "NW1 6XE", "Springfield"]  # fmt: skip
KEPT = ["ORD-2025-004812", "NVIDIA Gear Store", "Jetson Orin Nano", "SKU-88321", "Will you ship",
        "May 3", "1Z999AA10123456784"]  # fmt: skip


@pytest.mark.parametrize("mode", ["placeholder", "surrogate"])
def test_names_and_addresses_are_replaced_in_every_location(mode):
    with Scrubber(PiiSettings(mode=mode, seed=5)) as scrubber:
        (out,), report = scrubber.scrub_batch([_record()])
    blob = orjson.dumps(out).decode()
    assert [v for v in PERSONAL if v in blob] == []
    assert [v for v in KEPT if v not in blob] == []
    for location in ("system", "user", "arguments", "results", "assistant"):
        assert (
            report.by_location[location].get("PERSON", 0)
            + report.by_location[location].get("STREET_ADDRESS", 0)
            > 0
        ), location
    result = orjson.loads(out["messages"][3]["content"])
    if mode == "placeholder":
        assert out["messages"][1]["content"].startswith("Hi, I'm <PERSON_2>.")
        assert result["shipping_address"]["name"] == "<PERSON_2>"
        assert result["shipping_address"]["postal_code"] == "<POSTAL_CODE_1>"
        assert out["response"]["content"] == "Thanks, <PERSON_2>! It ships to <STREET_ADDRESS_3>."
    else:
        assert "<" not in blob
        street = result["shipping_address"]["street"]  # the same fake in the answer
        assert street[0].isdigit() and street != "1234 Elm Street"
        assert street in out["response"]["content"]
