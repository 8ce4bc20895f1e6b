"""Recognizers beyond Presidio's defaults: secrets agents leak into logs, and user regexes.

Every recognizer here is a Presidio ``PatternRecognizer`` matched case-sensitively
(``DOTALL | MULTILINE``), unlike Presidio's built-ins which ignore case: ``AKIA...`` or
``AIza...`` must not match ``akia...``. A user regex is used exactly as written; add ``(?i)``
to it for a case-insensitive match.

Presidio is imported inside the functions so that importing this module stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from slmconvert.core.errors import ConfigError
from slmconvert.pii.spans import Found, span_recognizer

CASE_SENSITIVE_FLAGS = re.DOTALL | re.MULTILINE
"""Regex flags of every recognizer built here (the ``regex`` module shares these values)."""

DEFAULT_CUSTOM_SCORE = 0.9


@dataclass(frozen=True)
class SecretPattern:
    """One secret shape: the entity it reports, a pattern name, the regex and its score."""

    entity: str
    name: str
    regex: str
    score: float
    keep_prefix: int = 0
    """How many leading characters a surrogate keeps (``sk-proj-``), so a fake looks real."""


# Token characters that may sit right before or after a key without being part of it.
_NOT_TOKEN_BEFORE = r"(?<![A-Za-z0-9_-])"
_NOT_TOKEN_AFTER = r"(?![A-Za-z0-9_-])"

SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern(
        "ANTHROPIC_API_KEY",
        "anthropic_key",
        _NOT_TOKEN_BEFORE + r"sk-ant-[A-Za-z0-9_-]{20,}",
        0.95,
        keep_prefix=7,
    ),
    SecretPattern(
        "OPENAI_API_KEY",
        "openai_key",
        _NOT_TOKEN_BEFORE
        + r"sk-(?!ant-)(?=[A-Za-z0-9_-]*[0-9])(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
        0.9,
        keep_prefix=3,
    ),
    SecretPattern(
        "AWS_ACCESS_KEY_ID",
        "aws_access_key_id",
        r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])",
        0.9,
        keep_prefix=4,
    ),
    SecretPattern(
        "AWS_SECRET_ACCESS_KEY",
        "aws_secret_access_key",
        r"(?<=(?i:aws[ _-]?secret(?:[ _-]?access)?(?:[ _-]?key)?)[\"']?\s{0,3}[:=]\s{0,3}[\"']?)"
        r"[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
        0.9,
    ),
    SecretPattern(
        "GITHUB_TOKEN",
        "github_token",
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})"
        r"(?![A-Za-z0-9_])",
        0.95,
        keep_prefix=4,
    ),
    SecretPattern(
        "SLACK_TOKEN",
        "slack_token",
        r"(?<![A-Za-z0-9])xox[abprs]-(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9-]{10,}",
        0.9,
        keep_prefix=5,
    ),
    SecretPattern(
        "GOOGLE_API_KEY",
        "google_api_key",
        _NOT_TOKEN_BEFORE + r"AIza[0-9A-Za-z_-]{35}" + _NOT_TOKEN_AFTER,
        0.9,
        keep_prefix=4,
    ),
    SecretPattern(
        "JWT",
        "jwt",
        _NOT_TOKEN_BEFORE + r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
        0.9,
        keep_prefix=3,
    ),
    SecretPattern(
        "BEARER_TOKEN",
        "bearer_token",
        r"(?<=\b(?i:bearer)\s{1,4})(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{16,}=*",
        0.8,
    ),
    SecretPattern(
        "PRIVATE_KEY",
        "pem_private_key",
        r"-----BEGIN[A-Z ]{0,30}PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]{0,30}PRIVATE KEY-----|\Z)",
        1.0,
    ),
    SecretPattern(
        "STRIPE_KEY",
        "stripe_secret_key",
        _NOT_TOKEN_BEFORE + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}" + _NOT_TOKEN_AFTER,
        0.95,
        keep_prefix=8,
    ),
    SecretPattern(
        "HUGGINGFACE_TOKEN",
        "huggingface_token",
        _NOT_TOKEN_BEFORE + r"hf_[A-Za-z0-9]{30,}" + _NOT_TOKEN_AFTER,
        0.9,
        keep_prefix=3,
    ),
    SecretPattern(
        "GOOGLE_OAUTH_TOKEN",
        "google_oauth_access_token",
        _NOT_TOKEN_BEFORE + r"ya29\.[A-Za-z0-9_-]{20,}",
        0.9,
        keep_prefix=5,
    ),
    SecretPattern(
        "AZURE_STORAGE_KEY",
        "azure_storage_account_key",
        r"(?<=AccountKey=)[A-Za-z0-9+/]{86}==",
        0.95,
    ),
    SecretPattern(
        "NPM_TOKEN",
        "npm_access_token",
        _NOT_TOKEN_BEFORE + r"npm_[A-Za-z0-9]{36}" + _NOT_TOKEN_AFTER,
        0.95,
        keep_prefix=4,
    ),
    SecretPattern(
        "PYPI_TOKEN",
        "pypi_upload_token",
        _NOT_TOKEN_BEFORE + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        0.95,
        keep_prefix=5,
    ),
    SecretPattern(
        "TWILIO_API_KEY",
        "twilio_api_key",
        _NOT_TOKEN_BEFORE + r"SK[0-9a-f]{32}" + _NOT_TOKEN_AFTER,
        0.85,
        keep_prefix=2,
    ),
    SecretPattern(
        "SENDGRID_API_KEY",
        "sendgrid_api_key",
        _NOT_TOKEN_BEFORE + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _NOT_TOKEN_AFTER,
        0.95,
        keep_prefix=3,
    ),
    SecretPattern(
        "URL_CREDENTIALS",
        "url_userinfo_password",
        r"(?<=[A-Za-z][A-Za-z0-9+.-]{0,20}://)[^\s:/@\"'<>]+:[^\s/@\"'<>]+(?=@)",
        0.9,
    ),
)
"""The secret shapes this project adds; entity names are the report's keys."""

SECRET_ENTITIES: tuple[str, ...] = (
    *dict.fromkeys(p.entity for p in SECRET_PATTERNS),
    "KEYED_SECRET",  # a value under a password/secret/key/token key (pii.keyed)
)
"""Entity types reported for secrets, in a stable order."""

_ENTITY_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class CustomPattern:
    """A validated user regex recognizer: ``{"entity", "regex", "score"}``."""

    entity: str
    regex: str
    score: float


def parse_custom_recognizers(
    specs: Iterable[Mapping[str, Any] | CustomPattern],
) -> list[CustomPattern]:
    """Validate user regex recognizer specs; raise ConfigError naming the bad field.

    A spec is ``{"entity": "CUSTOMER_ID", "regex": "CUST-\\\\d{6}", "score": 0.9}``; ``score``
    is optional (default 0.9). The entity must be UPPER_SNAKE_CASE and the regex must compile.
    """
    import regex

    parsed: list[CustomPattern] = []
    for i, spec in enumerate(specs or ()):
        if isinstance(spec, CustomPattern):
            spec = {"entity": spec.entity, "regex": spec.regex, "score": spec.score}
        if not isinstance(spec, Mapping):
            raise ConfigError(
                f"pii.custom_recognizers[{i}]: must be a mapping with entity and regex"
            )
        unknown = set(spec) - {"entity", "regex", "score"}
        if unknown:
            raise ConfigError(
                f"pii.custom_recognizers[{i}]: unknown keys {sorted(unknown)}",
                "valid keys: entity, regex, score",
            )
        entity = spec.get("entity")
        if not isinstance(entity, str) or not _ENTITY_NAME.fullmatch(entity):
            raise ConfigError(
                f"pii.custom_recognizers[{i}].entity: must be UPPER_SNAKE_CASE, e.g. CUSTOMER_ID"
            )
        pattern = spec.get("regex")
        if not isinstance(pattern, str) or not pattern:
            raise ConfigError(f"pii.custom_recognizers[{i}].regex: missing or not a string")
        try:
            compiled = regex.compile(pattern, CASE_SENSITIVE_FLAGS)
        except regex.error as exc:
            raise ConfigError(
                f"pii.custom_recognizers[{i}].regex: does not compile ({exc})"
            ) from None
        if compiled.search(""):
            raise ConfigError(f"pii.custom_recognizers[{i}].regex: matches the empty string")
        score = spec.get("score", DEFAULT_CUSTOM_SCORE)
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 < score <= 1:
            raise ConfigError(f"pii.custom_recognizers[{i}].score: must be a number in (0, 1]")
        parsed.append(CustomPattern(entity, pattern, float(score)))
    return parsed


def secret_recognizers(entities: Iterable[str] | None = None) -> list:
    """Presidio PatternRecognizers for the secret shapes, one per entity type.

    ``entities`` limits them to those types (None = all of ``SECRET_ENTITIES``).
    """
    from presidio_analyzer import Pattern, PatternRecognizer

    wanted = set(SECRET_ENTITIES if entities is None else entities)
    grouped: dict[str, list] = {}
    for spec in SECRET_PATTERNS:
        if spec.entity in wanted:
            grouped.setdefault(spec.entity, []).append(Pattern(spec.name, spec.regex, spec.score))
    return [
        PatternRecognizer(
            supported_entity=entity,
            name=f"Slmconvert{_camel(entity)}Recognizer",
            patterns=patterns,
            global_regex_flags=CASE_SENSITIVE_FLAGS,
        )
        for entity, patterns in grouped.items()
    ]


def custom_recognizers(patterns: Iterable[CustomPattern]) -> list:
    """Presidio PatternRecognizers for validated user regexes, one per entity type."""
    from presidio_analyzer import Pattern, PatternRecognizer

    grouped: dict[str, list] = {}
    for i, spec in enumerate(patterns):
        grouped.setdefault(spec.entity, []).append(Pattern(f"custom_{i}", spec.regex, spec.score))
    return [
        PatternRecognizer(
            supported_entity=entity,
            name=f"Custom{_camel(entity)}Recognizer",
            patterns=pats,
            global_regex_flags=CASE_SENSITIVE_FLAGS,
        )
        for entity, pats in grouped.items()
    ]


def secret_prefix_length(entity: str, value: str) -> int:
    """How many leading characters of a secret a surrogate keeps (its public prefix)."""
    if entity == "OPENAI_API_KEY":
        for prefix in ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-"):
            if value.startswith(prefix):
                return len(prefix)
    if entity == "GITHUB_TOKEN" and value.startswith("github_pat_"):
        return len("github_pat_")
    if entity == "PRIVATE_KEY":
        end = value.find("-----", 5)
        return end + 5 if end > 0 else 0
    for spec in SECRET_PATTERNS:
        if spec.entity == entity:
            return min(spec.keep_prefix, len(value))
    return 0


def _camel(entity: str) -> str:
    return "".join(part.capitalize() for part in entity.split("_"))


# -- street addresses ---------------------------------------------------------------------------

ADDRESS_ENTITIES = ("STREET_ADDRESS", "POSTAL_CODE")
"""Entity types of ``address_recognizer``: a street address (with its unit, city, state and
ZIP or postcode when they follow it) and a postal code under a postal-code key."""

ADDRESS_SCORE = 0.9
"""Above PERSON's 0.85, so ``08 Jennifer Park`` is one address, not a number and a name."""

COMMON_STREET_SUFFIXES = (
    "Street St Avenue Ave Road Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Way Place Pl Terrace "
    "Parkway Pkwy Circle Cir Highway Hwy Square Sq Trail Trl Crescent Close Mews Row Gardens "
    "Grove Alley Plaza Pike Turnpike Expressway Freeway"
).split()
"""Suffixes that make ``<number> <Capitalised words> <suffix>`` a street on their own."""

_STREET_KEYS = frozenset(
    ("street", "street address", "address", "address line", "address line 1", "address 1",
     "address1", "line1", "line 1", "shipping address", "billing address", "home address",
     "delivery address", "mailing address", "new address", "street1", "street 1")
)  # fmt: skip
_POSTAL_KEYS = frozenset(("postal code", "postcode", "post code", "zip", "zip code", "zipcode"))
_UP, _LO = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_WORD = (
    rf"(?:[{_UP}][{_LO}]+(?:['’-][{_UP}]?[{_LO}]+)*|\d{{1,3}}(?:st|nd|rd|th)|[NSEW]\.?|[NS][EW])"
)
_NUMBER = r"(?<![\w$€£#.,/:+-])\d{1,6}[A-Za-z]?(?:-\d{1,4})?"
_UNIT_WORDS = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Studio|Room|Rm|Floor|Fl|Building|Bldg)"
_UNIT = rf"(?:,?[ \t]+(?:{_UNIT_WORDS}\.?[ \t]*#?[ \t]*|#[ \t]*)[A-Za-z0-9-]{{1,6}}(?![\w-]))"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2}"
_US_ZIP = r"\d{5}(?:-\d{4})?"
_SEP = r"(?:,[ \t]*|[ \t]*\n[ \t]*)"
_LOCALITY = (
    rf"(?:{_SEP}[{_UP}][{_LO}]+(?:[ \t]+[{_UP}][{_LO}]+){{0,3}}"
    rf"(?:(?:,[ \t]*|[ \t]+)(?:[A-Z]{{2}}[ \t]+{_US_ZIP}|{_UK_POSTCODE})(?![\w-])"
    rf"|,[ \t]*[A-Z]{{2}}(?![\w-]))?)"
)
_CHEAP = re.compile(r"\d[A-Za-z]?[ \t]+[A-Z]|(?:Flat|Studio|Apt|Suite|Unit)\b")


@lru_cache(maxsize=1)
def _address_regexes() -> tuple[re.Pattern, frozenset[str], frozenset[str]]:
    from faker.providers.address.en_GB import Provider as GB
    from faker.providers.address.en_US import Provider as US

    suffixes = set(COMMON_STREET_SUFFIXES) | set(US.street_suffixes) | set(GB.street_suffixes)
    suffixes = {s[:1].upper() + s[1:] for s in suffixes}
    alternation = "|".join(sorted(map(re.escape, suffixes), key=len, reverse=True))
    start = rf"(?:(?:{_UNIT_WORDS}\.?[ \t]+\d{{1,4}}[A-Za-z]?,?[ \t]+)(?:{_NUMBER}[ \t]+)?|{_NUMBER}[ \t]+)"
    street = re.compile(
        rf"{start}(?P<words>(?:{_WORD}[ \t]+){{1,4}})(?P<suffix>{alternation})(?P<dot>\.)?(?![\w-])"
        rf"(?:{_UNIT})?(?P<locality>{_LOCALITY})?"
    )
    return street, frozenset(COMMON_STREET_SUFFIXES), frozenset(suffixes)


def _street_ok(m: re.Match, common: frozenset[str]) -> bool:
    """A rare suffix (``Meadow``, ``View``) needs a locality or a street named after a person."""
    if m.group("suffix") in common or m.group("locality"):
        return True
    from slmconvert.pii.names import everyday, gazetteer

    names = gazetteer()
    return any(
        (names.given(w) or names.surname(w)) and not everyday(w) for w in m.group("words").split()
    )


_ABBREVIATIONS = frozenset("St Ave Rd Blvd Ln Dr Ct Pl Pkwy Cir Hwy Sq Trl".split())


def _street_end(m: re.Match) -> int:
    """Where the address ends: a full stop after ``Street`` ends the sentence, not the street."""
    if m.group("dot") and m.end() == m.end("dot") and m.group("suffix") not in _ABBREVIATIONS:
        return m.end() - 1
    return m.end()


def find_addresses(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, entity)`` of street addresses and keyed postal codes in ``text``."""
    key_end = text.find(": ")
    key = text[:key_end] if 0 < key_end <= 48 else ""
    if key in _POSTAL_KEYS:
        value = text[key_end + 2 :].strip()
        if re.fullmatch(rf"{_US_ZIP}|{_UK_POSTCODE}", value):
            start = text.index(value, key_end)
            return [(start, start + len(value), "POSTAL_CODE")]
        return []
    if not _CHEAP.search(text):
        return []
    street, common, _ = _address_regexes()
    spans = [
        (m.start(), _street_end(m), "STREET_ADDRESS")
        for m in street.finditer(text)
        if _street_ok(m, common)
    ]
    if not spans and key in _STREET_KEYS:
        value = re.fullmatch(
            rf"[ \t]*({_NUMBER}(?:[ \t]+{_WORD}){{1,5}}{_UNIT}?)[ \t]*", text[key_end + 2 :]
        )
        if value:
            spans.append(
                (key_end + 2 + value.start(1), key_end + 2 + value.end(1), "STREET_ADDRESS")
            )
    return spans


@lru_cache(maxsize=65536)
def _found_addresses(text: str) -> Found:
    return tuple((s, e, entity, ADDRESS_SCORE) for s, e, entity in find_addresses(text))


def address_recognizer(entities: Iterable[str] | None = None):
    """A Presidio recognizer for street addresses and keyed postal codes.

    US style ``1234 Elm Street Apt. 5, Springfield, IL 62704``, UK style ``221B Baker Street,
    London NW1 6XE`` and ``Flat 13, Townsend Forks``; the unit, city, state and ZIP or postcode
    are part of the finding when they follow the street. A ZIP or postcode alone is reported
    (as POSTAL_CODE) only as a JSON value under a postal-code key.
    """
    wanted = [e for e in ADDRESS_ENTITIES if entities is None or e in entities]
    return span_recognizer("SlmconvertAddressRecognizer", wanted, _found_addresses)
