"""Settings of the pii stage: a plain dataclass, validated on construction."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from slmconvert.core.errors import ConfigError
from slmconvert.pii.recognizers import (
    ADDRESS_ENTITIES,
    SECRET_ENTITIES,
    parse_custom_recognizers,
)

MODES = ("placeholder", "surrogate", "drop")
GAZETTEERS = ("names", "places")
"""Word lists that find names and places without NER: census names, GeoNames places."""

NER_ONLY_ENTITIES = ("PERSON", "LOCATION", "NRP", "ORGANIZATION")
"""Entity types that a spaCy NER model finds in free text. A blank pipeline misses NRP and
ORGANIZATION entirely, and PERSON and LOCATION partly (the census name gazetteer and the
GeoNames place gazetteer find what they know, ``gazetteers``)."""

PRESIDIO_DEFAULT_ENTITIES = (
    "PERSON",
    "LOCATION",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "MAC_ADDRESS",
    "CRYPTO",
    "US_SSN",
    "US_ITIN",
    "US_PASSPORT",
    "US_DRIVER_LICENSE",
    "MEDICAL_LICENSE",
)
"""Presidio entity types redacted by default.

Left out on purpose (list them in ``entities`` to turn them on):

- ``DATE_TIME``: timestamps and ISO dates are the substance of agent logs, not personal data;
- ``URL``: links are content; the only personal part of a URL, ``user:password@``, is caught by
  ``URL_CREDENTIALS``;
- ``NRP`` (nationality, religious or political group) and ``ORGANIZATION``: NER-only, noisy, and
  company or product names are not personal data;
- ``UUID``: request and trace ids;
- ``US_BANK_NUMBER``: scored 0.05 by Presidio, it cannot reach the default threshold even with
  context, so it would only cost time;
- ``UK_NHS``: any 10-digit number passing a mod-11 checksum scores 1.0, so about one 10-digit
  order number or US phone in eleven would be reported as an NHS number.
"""

ADDRESS_DEFAULT_ENTITIES = ADDRESS_ENTITIES
"""Found by this project's pattern recognizer (``recognizers.address_recognizer``), NER or not:
``STREET_ADDRESS`` (a street with its unit, city, state and ZIP or postcode when they follow)
and ``POSTAL_CODE`` (a ZIP or postcode only as a JSON value under a postal-code key; alone in
free text it is not personal enough, and too often a plain number). ``PERSON`` is in the
Presidio list above: without NER it is found by ``names.name_recognizer`` (a name gazetteer
and name-keyed JSON fields), with NER by both."""

DEFAULT_ENTITIES = PRESIDIO_DEFAULT_ENTITIES + ADDRESS_DEFAULT_ENTITIES + SECRET_ENTITIES
"""What ``entities=None`` means; user regex entities are always added to it."""

_ENTITY_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
ALLOW_REGEX_PREFIX = "re:"


@dataclass
class PiiSettings:
    """How the pii stage finds and replaces personal data.

    - ``mode``: ``placeholder`` (``<EMAIL_ADDRESS_1>``), ``surrogate`` (consistent Faker fakes)
      or ``drop`` (records holding any of ``drop_entities`` are dropped; other entities found
      in kept records get placeholders);
    - ``entities``: entity types to find (None = ``DEFAULT_ENTITIES``); entities of
      ``custom_recognizers`` are always added;
    - ``score_threshold``: minimum Presidio score for a finding to count;
    - ``allow_list``: values never redacted; an entry starting with ``re:`` is a regex that
      must match the whole finding;
    - ``custom_recognizers``: ``[{"entity": "CUSTOMER_ID", "regex": "CUST-\\\\d{6}",
      "score": 0.9}]``;
    - ``spacy_model``: a spaCy package name or path (None = use ``en_core_web_lg/md/sm`` if
      installed, else a blank pipeline with NER off);
    - ``seed``: seeds surrogate fakes; ``workers``: processes for the parallel path (0 = all
      cores); ``cache_dir``: where the blank spaCy pipeline is saved (None = user cache);
    - ``gazetteers``: the word lists used besides patterns and NER (``GAZETTEERS``): ``names``
      (census given names and surnames) and ``places`` (GeoNames cities, towns and villages).
    """

    mode: str = "placeholder"
    entities: list[str] | None = None
    score_threshold: float = 0.5
    allow_list: list[str] = field(default_factory=list)
    custom_recognizers: list[dict[str, Any]] = field(default_factory=list)
    spacy_model: str | None = None
    seed: int = 0
    workers: int = 0
    drop_entities: list[str] | None = None
    cache_dir: str | None = None
    gazetteers: list[str] = field(default_factory=lambda: list(GAZETTEERS))

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError("pii.mode: invalid", f"valid choices: {', '.join(MODES)}")
        if isinstance(self.score_threshold, bool) or not isinstance(
            self.score_threshold, int | float
        ):
            raise ConfigError("pii.score_threshold: must be a number between 0 and 1")
        if not 0 <= self.score_threshold <= 1:
            raise ConfigError("pii.score_threshold: must be between 0 and 1")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError("pii.seed: must be an integer")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            raise ConfigError("pii.workers: must be an integer >= 0 (0 = all cores)")
        if isinstance(self.gazetteers, str) or not isinstance(self.gazetteers, list | tuple):
            raise ConfigError("pii.gazetteers: must be a list", f"choices: {', '.join(GAZETTEERS)}")
        bad = [g for g in self.gazetteers if g not in GAZETTEERS]
        if bad:
            raise ConfigError(
                f"pii.gazetteers: unknown {', '.join(map(str, bad))}",
                f"choices: {', '.join(GAZETTEERS)}",
            )
        self.gazetteers = list(dict.fromkeys(self.gazetteers))
        self.entities = _entity_list("pii.entities", self.entities)
        self.drop_entities = _entity_list("pii.drop_entities", self.drop_entities)
        self.allow_list = list(self.allow_list or [])
        for i, entry in enumerate(self.allow_list):
            if not isinstance(entry, str) or not entry:
                raise ConfigError(f"pii.allow_list[{i}]: must be a non-empty string")
            if entry.startswith(ALLOW_REGEX_PREFIX):
                try:
                    re.compile(entry[len(ALLOW_REGEX_PREFIX) :])
                except re.error as exc:
                    raise ConfigError(
                        f"pii.allow_list[{i}]: regex does not compile ({exc})"
                    ) from None
        custom = parse_custom_recognizers(self.custom_recognizers or [])
        self.custom_recognizers = [
            {"entity": c.entity, "regex": c.regex, "score": c.score} for c in custom
        ]
        for i, c in enumerate(custom):
            if c.score < self.score_threshold:
                raise ConfigError(
                    f"pii.custom_recognizers[{i}].score: below score_threshold, it would never count"
                )
        if self.spacy_model is not None and (
            not isinstance(self.spacy_model, str) or not self.spacy_model
        ):
            raise ConfigError("pii.spacy_model: must be a spaCy package name or a path")

    @property
    def custom_entities(self) -> tuple[str, ...]:
        """Entity types of the user regex recognizers, in order of first mention."""
        return tuple(dict.fromkeys(c["entity"] for c in self.custom_recognizers))

    def requested_entities(self) -> tuple[str, ...]:
        """The entity types asked for: ``entities`` (or the defaults) plus custom entities."""
        base = tuple(self.entities) if self.entities is not None else DEFAULT_ENTITIES
        return tuple(dict.fromkeys(base + self.custom_entities))

    def engine_key(self) -> str:
        """A fingerprint of the fields that shape the analyzer (cache key per process)."""
        data = asdict(self)
        for name in ("mode", "seed", "workers", "drop_entities"):
            data.pop(name)
        return repr(sorted(data.items()))


def _entity_list(name: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ConfigError(f"{name}: must be a list of entity types")
    out = []
    for item in value:
        if not isinstance(item, str) or not _ENTITY_NAME.fullmatch(item):
            raise ConfigError(f"{name}: entity types are UPPER_SNAKE_CASE, e.g. EMAIL_ADDRESS")
        out.append(item)
    return list(dict.fromkeys(out))
