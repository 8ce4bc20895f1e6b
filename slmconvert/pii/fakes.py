"""Surrogates: realistic fake values, the same fake for the same value on every run.

Each fake is drawn from Faker (en_US) seeded with ``blake2b(seed, entity, value)``, so it
depends only on the seed and the value: consistent within a record, across records and across
processes. Secrets and IDs without a Faker provider keep their shape: the public prefix
(``sk-proj-``, ``AKIA``, ``ghp_``) and every non-alphanumeric character stay, each digit becomes a
random digit and each letter a random letter of the same case.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from collections.abc import Callable

from slmconvert.pii.recognizers import SECRET_ENTITIES, secret_prefix_length

_ID_PREFIX = re.compile(r"[A-Za-z]{2,}[-_#:]")


def stable_int(*parts: object) -> int:
    """A 64-bit integer from the parts' text, identical on every run and platform."""
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(str(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "big")


def shape_preserving(value: str, rng: random.Random, keep: int = 0) -> str:
    """Replace each digit/letter after ``keep`` characters by a random one of the same kind."""
    out = list(value[:keep])
    for ch in value[keep:]:
        if ch.isdigit():
            out.append(rng.choice(string.digits))
        elif ch.isascii() and ch.isupper():
            out.append(rng.choice(string.ascii_uppercase))
        elif ch.isascii() and ch.islower():
            out.append(rng.choice(string.ascii_lowercase))
        else:
            out.append(ch)
    return "".join(out)


def _phone(f) -> str:
    area = f.random_int(201, 989)
    line = f.random_int(0, 9999)
    formats = (
        f"({area}) 555-{line:04d}",
        f"{area}-555-{line:04d}",
        f"+1 {area} 555 {line:04d}",
        f"+1-{area}-555-{line:04d}",
    )
    return formats[f.random_int(0, len(formats) - 1)]


_HAS_US_LOCALITY = re.compile(r"[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?$")
_UK_POSTCODE_END = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2}$")


def _street_address(f, value: str) -> str:
    """A fake street; with a city, state and ZIP (or a UK-shaped postcode) when the original
    has them, so ``1234 Elm St, Springfield, IL 62704`` becomes a whole fake address."""
    street = f.street_address()
    value = value.rstrip()
    if _HAS_US_LOCALITY.search(value):
        return f"{street}, {f.city()}, {f.state_abbr()} {f.zipcode()}"
    if _UK_POSTCODE_END.search(value):
        rng = random.Random(f.random_int(0, 2**31))
        return f"{street}, {f.city()} {shape_preserving(_UK_POSTCODE_END.search(value)[0], rng)}"
    if "," in value or "\n" in value:
        return f"{street}, {f.city()}"
    return street


def _postal_code(f, value: str) -> str:
    if value[:1].isdigit():
        return f.zipcode_plus4() if "-" in value else f.zipcode()
    return shape_preserving(value, random.Random(f.random_int(0, 2**31)))


_FAKERS: dict[str, Callable] = {
    "PERSON": lambda f, v: f.name(),
    "EMAIL_ADDRESS": lambda f, v: f.email(),
    "PHONE_NUMBER": lambda f, v: _phone(f),
    "LOCATION": lambda f, v: f.city(),
    "STREET_ADDRESS": _street_address,
    "POSTAL_CODE": _postal_code,
    "ORGANIZATION": lambda f, v: f.company(),
    "NRP": lambda f, v: f.country(),
    "CREDIT_CARD": lambda f, v: f.credit_card_number(),
    "IBAN_CODE": lambda f, v: f.iban(),
    "IP_ADDRESS": lambda f, v: f.ipv6() if ":" in v else f.ipv4_public(),
    "MAC_ADDRESS": lambda f, v: f.mac_address(),
    "US_SSN": lambda f, v: f.ssn(),
    "US_ITIN": lambda f, v: f.itin(),
    "US_PASSPORT": lambda f, v: f.passport_number(),
    "US_BANK_NUMBER": lambda f, v: f.bban(),
    "DATE_TIME": lambda f, v: f.date(),
    "URL": lambda f, v: f.url(),
    "URL_CREDENTIALS": lambda f, v: f"{f.user_name()}:{f.password(length=12, special_chars=False)}",
}


class SurrogateFactory:
    """Makes the fake for ``(entity, value)``; one Faker instance per process, reseeded per value."""

    def __init__(self, seed: int = 0):
        from faker import Faker

        self.seed = seed
        self._faker = Faker("en_US")

    def fake(self, entity: str, value: str) -> str:
        """A realistic fake for ``value``, different from it, fixed by (seed, entity, value)."""
        for attempt in range(8):
            n = stable_int(self.seed, entity, value, attempt)
            out = self._make(entity, value, n)
            if out != value:
                return out
        return f"<{entity}>"

    def _make(self, entity: str, value: str, n: int) -> str:
        maker = _FAKERS.get(entity)
        if maker is not None:
            self._faker.seed_instance(n)
            return maker(self._faker, value)
        rng = random.Random(n)
        if entity == "PRIVATE_KEY":
            head = secret_prefix_length(entity, value)
            foot = value.rfind("-----END")
            foot = foot if foot >= head else len(value)
            return value[:head] + shape_preserving(value[head:foot], rng) + value[foot:]
        keep = secret_prefix_length(entity, value)
        if entity not in SECRET_ENTITIES:
            # IDs such as CUST-123456 keep their alphabetic prefix: CUST-804213.
            prefix = _ID_PREFIX.match(value)
            keep = prefix.end() if prefix and prefix.end() < len(value) else 0
        return shape_preserving(value, rng, keep)
