"""The pii analyzer: model detection, NER on/off, secret and user recognizers, false positives."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from slmconvert.core.errors import ConfigError
from slmconvert.core.records import message, new_record
from slmconvert.pii import PiiSettings
from slmconvert.pii.engine import build_analyzer
from slmconvert.pii.models import AUTODETECT_MODELS, blank_model_path, find_spacy_model
from slmconvert.pii.recognizers import SECRET_ENTITIES
from slmconvert.pii.scrub import Scrubber

CUSTOM = [{"entity": "CUSTOMER_ID", "regex": r"CUST-\d{6}", "score": 0.9}]


@pytest.fixture(scope="module")
def analyzer():
    """The default analyzer (blank pipeline here) plus a customer-id regex."""
    return build_analyzer(PiiSettings(custom_recognizers=CUSTOM))


def found(analyzer, text: str) -> list[tuple[str, str]]:
    """(entity, matched text) for each accepted finding."""
    return [(entity, text[s:e]) for s, e, entity in analyzer.analyze_text(text)]


# -- environment and model selection ---------------------------------------------------------


def test_importing_the_package_does_not_import_presidio_or_spacy():
    code = (
        "import sys, slmconvert.pii, slmconvert.pii.scrub, slmconvert.pii.engine;"
        "print(any(m in sys.modules for m in ('presidio_analyzer', 'spacy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_engine_module_disables_tldextract_network_fetch():
    assert os.environ.get("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS") == ""


def test_no_model_installed_means_blank_pipeline_and_ner_off(analyzer):
    if any(find_spacy_model(None) == m for m in AUTODETECT_MODELS):
        pytest.skip("a spaCy NER model is installed here")
    info = analyzer.info
    assert info.ner is False
    assert info.model == "blank:en"
    # PERSON is still looked for without NER (name gazetteer), so only its recall is partial
    assert "PERSON" in info.entities and "EMAIL_ADDRESS" in info.entities
    assert set(info.ner_missing) == {"PERSON", "LOCATION"}
    assert "NER off" in info.describe() and "PERSON" in info.describe()


def test_named_model_that_is_not_installed_is_a_config_error():
    with pytest.raises(ConfigError, match="spacy_model"):
        find_spacy_model("en_core_web_nonexistent")
    with pytest.raises(ConfigError):
        build_analyzer(PiiSettings(spacy_model="en_core_web_nonexistent"))


def test_blank_model_is_saved_once_under_the_cache_dir(tmp_path):
    first = blank_model_path(tmp_path)
    assert first.parent == tmp_path and (first / "config.cfg").is_file()
    assert blank_model_path(tmp_path) == first
    assert find_spacy_model(str(first)) == str(first)


def test_a_pipeline_with_an_entity_component_turns_ner_on(tmp_path):
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": [{"LOWER": "maria"}, {"LOWER": "garcia"}]},
            {"label": "GPE", "pattern": "Springfield"},
        ]
    )
    nlp.to_disk(tmp_path / "ner-model")
    settings = PiiSettings(spacy_model=str(tmp_path / "ner-model"), cache_dir=str(tmp_path))
    scrubber = Scrubber(settings)
    assert scrubber.info.ner is True and scrubber.info.ner_missing == ()
    rec = new_record(
        source={"format": "test"},
        messages=[message("user", "I'm Maria Garcia from Springfield, mail maria.g@example.com")],
        response=message("assistant", "Hello Maria Garcia!"),
    )
    (out,), report = scrubber.scrub_batch([rec])
    assert (
        out["messages"][0]["content"] == "I'm <PERSON_1> from <LOCATION_1>, mail <EMAIL_ADDRESS_1>"
    )
    assert out["response"]["content"] == "Hello <PERSON_1>!"
    assert report.ner is True and report.entities["PERSON"] == 2


# -- settings validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mode": "redact"}, "pii.mode"),
        ({"score_threshold": 1.5}, "pii.score_threshold"),
        ({"workers": -1}, "pii.workers"),
        ({"entities": "EMAIL_ADDRESS"}, "pii.entities"),
        ({"entities": ["email"]}, "pii.entities"),
        ({"allow_list": ["re:("]}, "pii.allow_list"),
        ({"custom_recognizers": [{"entity": "customer", "regex": "x"}]}, "entity"),
        ({"custom_recognizers": [{"entity": "CUSTOMER_ID", "regex": "CUST-("}]}, "regex"),
        ({"custom_recognizers": [{"entity": "CUSTOMER_ID", "regex": "a*"}]}, "empty string"),
        (
            {"custom_recognizers": [{"entity": "C", "regex": "x", "score": 0.3}]},
            "below score_threshold",
        ),
        ({"custom_recognizers": [{"entity": "C", "regex": "x", "flags": 1}]}, "unknown keys"),
    ],
)
def test_invalid_settings_are_config_errors(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        PiiSettings(**kwargs)


def test_unknown_entity_types_are_rejected_with_the_valid_choices():
    with pytest.raises(ConfigError) as err:
        build_analyzer(PiiSettings(entities=["EMAIL_ADDRESS", "SHOE_SIZE"]))
    assert "SHOE_SIZE" in str(err.value) and "EMAIL_ADDRESS" in str(err.value.hint)
    with pytest.raises(ConfigError, match="drop_entities"):
        build_analyzer(PiiSettings(entities=["EMAIL_ADDRESS"], drop_entities=["US_SSN"]))


# -- what is found --------------------------------------------------------------------------------

SECRETS = {
    "OPENAI_API_KEY": "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "ANTHROPIC_API_KEY": "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "GITHUB_TOKEN": "ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6",
    "SLACK_TOKEN": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "GOOGLE_API_KEY": "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "JWT": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


@pytest.mark.parametrize("entity", sorted(SECRETS))
def test_each_secret_shape_is_found(analyzer, entity):
    value = SECRETS[entity]
    assert found(analyzer, f"config: key={value} (do not share)") == [(entity, value)]


def test_secrets_found_by_their_surroundings(analyzer):
    aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert found(analyzer, f"AWS_SECRET_ACCESS_KEY={aws}") == [("AWS_SECRET_ACCESS_KEY", aws)]
    assert found(analyzer, f"aws secret access key: {aws}") == [("AWS_SECRET_ACCESS_KEY", aws)]
    assert found(analyzer, f"just a string {aws}") == []
    token = "d8f7a6b5c4e3d2f1a0b9c8d7"
    assert found(analyzer, f"Authorization: Bearer {token}") == [("BEARER_TOKEN", token)]
    assert found(analyzer, "postgres://admin:hunter2pass@db.internal:5432/app") == [
        ("URL_CREDENTIALS", "admin:hunter2pass")
    ]
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7b9x\nQ2w3e4r5t6y7\n-----END RSA PRIVATE KEY-----"
    assert found(analyzer, f"key:\n{pem}\nthanks") == [("PRIVATE_KEY", pem)]


@pytest.mark.parametrize(
    "text",
    [
        "we use sk-learn and a task-manager-for-everything-in-the-office",
        "akiaiosfodnn7example is lower case",
        "the bearer of good news arrived with responsibilities",
        "see http://host.example.com:8080/path@section",
        "eyJ alone is not a token",
    ],
)
def test_secret_lookalikes_are_not_secrets(analyzer, text):
    assert found(analyzer, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me at +1 415-555-0132 please", [("PHONE_NUMBER", "+1 415-555-0132")]),
        ("office (212) 555-0199", [("PHONE_NUMBER", "(212) 555-0199")]),
        ("phone: 4155550132", [("PHONE_NUMBER", "4155550132")]),
        ("mail maria.garcia@example.com", [("EMAIL_ADDRESS", "maria.garcia@example.com")]),
        ("ssn 536-22-8741", [("US_SSN", "536-22-8741")]),
        ("card 4111 1111 1111 1111", [("CREDIT_CARD", "4111 1111 1111 1111")]),
        ("iban GB82WEST12345698765432", [("IBAN_CODE", "GB82WEST12345698765432")]),
        ("from 203.0.113.42 at noon", [("IP_ADDRESS", "203.0.113.42")]),
        ("audit from 203.0.113.198", [("IP_ADDRESS", "203.0.113.198")]),
        ("GET http://203.0.113.7/admin", [("IP_ADDRESS", "203.0.113.7")]),
        ("customer CUST-123456 asked", [("CUSTOMER_ID", "CUST-123456")]),
    ],
)
def test_personal_data_is_found(analyzer, text, expected):
    assert found(analyzer, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order ORD-2025-004812 placed",
        "I called about order ORD-2025-004812",
        "SKU-88321 x2",
        "2025-05-01T10:00:00Z",
        "placed at: 2025-05-01T10:00:00Z",
        "2025-05-01",
        "total $129.99 (tax $10.40)",
        "tracking 1Z999AA10123456784",
        "tracking number: 1Z999AA10123456784",
        "48213",
        "order id: 48213",
        "1714557600",
        "created at: 1714557600",
        "your order number is 2025004812",
        "order id: 9434765919",
        "version 1.2.3 build 20250501",
    ],
)
def test_ordinary_ids_dates_and_amounts_are_not_personal_data(analyzer, text):
    assert found(analyzer, text) == []


def test_allow_list_keeps_exact_values_and_regex_matches():
    settings = PiiSettings(allow_list=["support@acme.example", r"re:.*@internal\.example"])
    a = build_analyzer(settings)
    text = "write support@acme.example, ops@internal.example or jo@gmail.com"
    assert found(a, text) == [("EMAIL_ADDRESS", "jo@gmail.com")]


def test_entity_list_and_threshold_limit_what_counts():
    only_email = build_analyzer(PiiSettings(entities=["EMAIL_ADDRESS"]))
    assert only_email.info.entities == ("EMAIL_ADDRESS",)
    text = "jo@gmail.com or +1 415-555-0132, key AKIAIOSFODNN7EXAMPLE"
    assert found(only_email, text) == [("EMAIL_ADDRESS", "jo@gmail.com")]
    strict = build_analyzer(PiiSettings(score_threshold=0.95))
    assert found(strict, text) == [("EMAIL_ADDRESS", "jo@gmail.com")]


def test_overlapping_findings_keep_the_strongest(analyzer):
    # The JWT is also a bearer token; the JWT pattern scores higher and wins.
    jwt = SECRETS["JWT"]
    assert found(analyzer, f"Authorization: Bearer {jwt}") == [("JWT", jwt)]


# -- the pre-filter is safe ----------------------------------------------------------------------


def test_prefilter_skips_plain_text_but_never_a_string_presidio_would_flag(analyzer):
    assert analyzer.possible_entities("hello world, how are you today?") == ()
    assert analyzer.possible_entities("ok") == ()
    engine = analyzer.engine
    entities = list(analyzer.info.entities)
    samples = [
        "hello world",
        "Shipped via UPS ground",
        "jo@gmail.com",
        "call 415 555 0132",
        "ab:cd:ef:12:34:56",
        "fe80::1ff:fe23:4567:890a",
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        "the key is sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
        "CUST-654321",
        *SECRETS.values(),
    ]
    for text in samples:
        raw = engine.analyze(text=text, language="en", entities=entities, score_threshold=0.5)
        if raw:
            assert analyzer.possible_entities(text), "the pre-filter skipped a string with findings"
        if not analyzer.possible_entities(text):
            assert analyzer.analyze_text(text) == ()


def test_secret_entities_are_in_the_default_set(analyzer):
    assert set(SECRET_ENTITIES) <= set(analyzer.info.entities)
