"""The detectors on labelled agent calls no detector list was built from (``pii_corpus``)."""

from __future__ import annotations

import pytest

from slmconvert.testing.pii_corpus import STRUCTURED, corpus
from slmconvert.testing.pii_scoring import Scores, measure

SAMPLES = 700
SEED = 2  # the bench measures seed 1; this is another draw


def measured(gazetteers: list[str]) -> Scores:
    return measure(list(corpus(SAMPLES, SEED)), gazetteers)


@pytest.fixture(scope="module")
def scores() -> Scores:
    return measured(["names", "places"])


@pytest.mark.parametrize("group", [*STRUCTURED, "SECRET"])
def test_no_structured_value_or_secret_leaks(scores, group):
    assert sum(v for k, v in scores.planted.items() if k[0] == group) > 0
    assert scores.leaks(group) == 0


def test_latin_script_names_and_real_cities_are_found_without_ner(scores):
    assert scores.recall("PERSON", "latin") >= 0.95
    assert scores.recall("LOCATION", "latin") >= 0.9


def test_order_ids_skus_amounts_dates_products_and_code_survive(scores):
    assert sum(scores.negatives.values()) > 50
    assert scores.survival() >= 0.95
    assert scores.precision("PERSON") >= 0.95 and scores.precision("LOCATION") >= 0.95


def test_the_gazetteers_are_what_finds_names_and_places_in_free_text(scores):
    plain = measured([])

    assert plain.recall("LOCATION", "latin") < 0.2  # only place-keyed JSON values
    assert plain.recall("PERSON", "latin") < scores.recall("PERSON", "latin") - 0.3
    assert plain.leaks("EMAIL_ADDRESS") == 0  # patterns do not depend on them
