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
from typing import Any

from slmconvert.errors import ConfigError

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
        "URL_CREDENTIALS",
        "url_userinfo_password",
        r"(?<=[A-Za-z][A-Za-z0-9+.-]{0,20}://)[^\s:/@\"'<>]+:[^\s/@\"'<>]+(?=@)",
        0.9,
    ),
)
"""The secret shapes this project adds; entity names are the report's keys."""

SECRET_ENTITIES: tuple[str, ...] = tuple(dict.fromkeys(p.entity for p in SECRET_PATTERNS))
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
