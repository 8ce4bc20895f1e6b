"""Build the Presidio analyzer: spaCy model detection or blank fallback, recognizers, filters.

``build_analyzer(settings)`` returns an ``Analyzer``: Presidio's ``AnalyzerEngine`` plus

- a provably safe pre-filter (``possible_entities``): a string is analysed only for entity
  types whose recognizer could fire on it. Pattern recognizers can only report a match of one
  of their regexes, so their regexes are searched first; Presidio's phone recognizer only
  reports numbers valid in phonenumbers' metadata, none shorter than 4 digits; NER needs a
  letter; this project's name and address recognizers answer ``could_match(text)`` exactly.
  Strings that pass none of these are never handed to Presidio;
- the post-filter that fights false positives (``_keep``): a score threshold, the allow-list,
  no built-in numeric entity embedded in a larger token (``ORD-2025-004812`` is not a phone),
  and overlaps resolved by highest score, then longest span.

Presidio and spaCy are imported inside functions: importing this module stays cheap.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

# tldextract (used by Presidio's email recognizer) fetches the public suffix list over the
# network at import unless this is set first.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from slmconvert.core.errors import ConfigError  # noqa: E402
from slmconvert.pii.keyed import keyed_secret_recognizer  # noqa: E402
from slmconvert.pii.models import (  # noqa: E402
    LANGUAGE,
    blank_model_path,
    find_spacy_model,
)
from slmconvert.pii.names import name_recognizer  # noqa: E402
from slmconvert.pii.payments import payment_recognizer  # noqa: E402
from slmconvert.pii.phones import phone_shape_recognizer  # noqa: E402
from slmconvert.pii.places import place_recognizer  # noqa: E402
from slmconvert.pii.recognizers import (  # noqa: E402
    ADDRESS_ENTITIES,
    SECRET_ENTITIES,
    CustomPattern,
    address_recognizer,
    custom_recognizers,
    secret_recognizers,
)
from slmconvert.pii.settings import ALLOW_REGEX_PREFIX, NER_ONLY_ENTITIES, PiiSettings  # noqa: E402

log = logging.getLogger("slmconvert.pii")

PHONE_MIN_DIGITS = 4
"""No number valid in phonenumbers' metadata has fewer digits (DE, AT, NU, ... start at 4)."""

PHONE_CONTEXT = ("phone", "telephone", "tel", "cell", "cellphone", "mobile", "call", "fax", "sms")
"""Presidio's phone context words minus ``number``, which boosted every order number."""

PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "BR")
"""Presidio's default regions less CA: Canada shares +1 with the US, so a pass for CA finds the
same numbers again (each region is one full pass of phonenumbers' matcher)."""

PHONE_BASE_SCORE = 0.4
"""The score of Presidio's phone recognizer before context."""

CONTEXT_BOOST = 0.35
"""Presidio's context boost; a phone written in phone format gets it too (see ``_keep``)."""

_LEMMA_COMPONENT = "slmconvert_lower_lemma"
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT_GROUP = re.compile(r"\d+")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DATE_OR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|\d{1,2}/\d{1,2}/\d{2,4}$")
_PHONE_CONTEXT_WORD = re.compile(rf"(?i)(?<![\w]){'|'.join(PHONE_CONTEXT)}(?![\w])")
_PHONE_CANDIDATE = re.compile(r"[+(]?\d[\d \t().\-/]*\d")

Span = tuple[int, int, str]
"""A finding: ``(start, end, entity_type)`` in the analysed text."""


@dataclass(frozen=True)
class EngineInfo:
    """What the analyzer can do: NER on or off, which model, which entities, what is missed."""

    ner: bool
    model: str
    entities: tuple[str, ...]
    ner_missing: tuple[str, ...]
    detectors: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each recognizer that runs, by name, with the entity types it reports."""

    def describe(self) -> str:
        """One line for logs: model, NER state and what NER-off still misses."""
        if self.ner:
            return f"pii: spaCy model {self.model}, NER on"
        return (
            f"pii: no spaCy NER model installed, NER off (blank pipeline); pattern "
            f"recognizers only. {ner_off_gaps(self.ner_missing)} Install en_core_web_lg or "
            f"set pii.spacy_model to turn NER on."
        )


def ner_off_gaps(missing: tuple[str, ...]) -> str:
    """What a blank pipeline still misses among ``missing`` (the NER-only types asked for).

    PERSON and LOCATION are only partly missed: the census name gazetteer finds the names it
    knows in free text and any capitalised name in a name-keyed JSON value; the GeoNames
    gazetteer finds cities, towns and villages (street addresses are found by pattern). NRP and
    ORGANIZATION in free text are missed entirely.
    """
    if not missing:
        return "Missed: nothing requested."
    parts = []
    if "PERSON" in missing:
        parts.append("PERSON names not in the census gazetteer, outside name-keyed JSON fields")
    if "LOCATION" in missing:
        parts.append("LOCATION other than cities, towns and villages (countries, regions, sites)")
    others = [e for e in missing if e not in ("PERSON", "LOCATION")]
    if others:
        parts.append(f"{', '.join(others)} in free text (found only by NER)")
    return f"Still missed: {'; '.join(parts)}."


def _register_lemma_component() -> None:
    from spacy.language import Language

    if Language.has_factory(_LEMMA_COMPONENT):
        return

    def lower_lemma(doc):
        for token in doc:
            token.lemma_ = token.lower_
        return doc

    Language.component(_LEMMA_COMPONENT, func=lower_lemma)


class Analyzer:
    """Presidio's AnalyzerEngine with this project's pre-filter and post-filter.

    ``analyze_many(texts)`` returns, per text, the accepted findings as ``(start, end, entity)``
    tuples sorted by start, never overlapping. Results depend only on the text, so they can be
    cached by string and computed in any process.
    """

    def __init__(self, engine, info: EngineInfo, settings: PiiSettings):
        self.engine = engine
        self.info = info
        self.threshold = float(settings.score_threshold)
        self.entities = frozenset(info.entities)
        self._allow_exact = frozenset(
            a for a in settings.allow_list if not a.startswith(ALLOW_REGEX_PREFIX)
        )
        self._allow_regex = [
            re.compile(a[len(ALLOW_REGEX_PREFIX) :])
            for a in settings.allow_list
            if a.startswith(ALLOW_REGEX_PREFIX)
        ]
        self._free_entities = (
            frozenset(NER_ONLY_ENTITIES)
            | frozenset(SECRET_ENTITIES)
            | frozenset(settings.custom_entities)
            | {"EMAIL_ADDRESS", "URL"}
        )
        self._build_prefilter()

    def _build_prefilter(self) -> None:
        import regex
        from presidio_analyzer import PatternRecognizer
        from presidio_analyzer.predefined_recognizers import (
            IbanRecognizer,
            PhoneRecognizer,
            SpacyRecognizer,
        )

        self._patterns: list[tuple[object, frozenset[str]]] = []
        self._phone: frozenset[str] = frozenset()
        self._ner: frozenset[str] = frozenset()
        self._always: frozenset[str] = frozenset()
        self._own: list[tuple[object, frozenset[str]]] = []
        for rec in self.engine.registry.recognizers:
            ents = frozenset(rec.supported_entities) & self.entities
            if not ents:
                continue
            if callable(getattr(rec, "could_match", None)):
                # This project's recognizers: an exact, cached check; they need no NLP
                # artifacts and have no context words, so they can also run without Presidio.
                self._own.append((rec, ents))
            elif isinstance(rec, PatternRecognizer) and (
                type(rec).analyze is PatternRecognizer.analyze or type(rec) is IbanRecognizer
            ):
                # It only reports matches of its own regexes, so searching them is exact
                # (IbanRecognizer overrides analyze, but still reports regex matches only).
                for pattern in rec.patterns:
                    flags = rec.global_regex_flags or 0
                    self._patterns.append((regex.compile(pattern.regex, flags), ents))
            elif type(rec) is PhoneRecognizer:
                self._phone |= ents
            elif type(rec) is SpacyRecognizer:
                self._ner |= ents
            else:  # unknown kind: no safe shortcut, always analyse for it
                self._always |= ents

    def possible_entities(self, text: str) -> tuple[str, ...]:
        """Entity types whose recognizer could fire on ``text`` (empty: skip it entirely)."""
        presidio, own = self._route(text)
        return tuple(sorted(presidio | own))

    def _route(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        """Entity types Presidio's own recognizers, and this project's, could report."""
        found = set(self._always)
        if self._ner and _LETTER.search(text):
            found |= self._ner
        if self._phone and self._phone_could_count(text):
            found |= self._phone
        for compiled, ents in self._patterns:
            if not ents <= found and compiled.search(text):
                found |= ents
        own: set[str] = set()
        for rec, ents in self._own:
            if not ents <= own and rec.could_match(text):
                own |= ents
        return frozenset(found), frozenset(own)

    def _phone_could_count(self, text: str) -> bool:
        """Could a finding of Presidio's phone recognizer pass the threshold in ``text``?

        It scores 0.4: below a threshold over 0.4 a finding counts only with a context word
        nearby or written in a phone format (``_phone_formatted``), so without either in the
        text the (slow) recognizer is skipped."""
        if len(_DIGIT.findall(text)) < PHONE_MIN_DIGITS:
            return False
        if self.threshold <= PHONE_BASE_SCORE or _PHONE_CONTEXT_WORD.search(text):
            return True
        return any(_phone_formatted(m.group()) for m in _PHONE_CANDIDATE.finditer(text))

    def analyze_many(
        self, texts: list[str], stats: dict[str, int] | None = None, batch_size: int = 64
    ) -> list[tuple[Span, ...]]:
        """Analyse texts (batched through the spaCy pipeline); accepted findings per text.

        ``stats``, if given, gets ``analysed`` and ``skipped`` (by the pre-filter) added to.
        """
        out: list[tuple[Span, ...]] = [()] * len(texts)
        todo, direct = [], 0
        for i, text in enumerate(texts):
            presidio, own = self._route(text)
            if presidio:
                todo.append((i, presidio | own))
            elif own:  # only this project's recognizers can fire: no spaCy, no context pass
                out[i] = self._keep(text, self._own_results(text, own))
                direct += 1
        if stats is not None:
            stats["analysed"] = stats.get("analysed", 0) + len(todo) + direct
            stats["skipped"] = stats.get("skipped", 0) + len(texts) - len(todo) - direct
        if not todo:
            return out
        nlp_engine = self.engine.nlp_engine
        batch = nlp_engine.process_batch(
            [texts[i] for i, _ in todo], LANGUAGE, batch_size=batch_size
        )
        floor = min(self.threshold, 0.4)
        for (i, ents), (text, artifacts) in zip(todo, batch, strict=True):
            results = self.engine.analyze(
                text=text,
                language=LANGUAGE,
                entities=list(ents),
                nlp_artifacts=artifacts,
                score_threshold=floor,
            )
            out[i] = self._keep(text, results)
        return out

    def _own_results(self, text: str, entities: frozenset[str]) -> list:
        wanted = list(entities)
        results = []
        for rec, ents in self._own:
            if ents & entities:
                results += rec.analyze(text, wanted, None)
        return results

    def analyze_text(self, text: str) -> tuple[Span, ...]:
        """Accepted findings in one text (``analyze_many`` for a single string)."""
        return self.analyze_many([text])[0]

    def _keep(self, text: str, results) -> tuple[Span, ...]:
        candidates = []
        for r in results:
            if r.entity_type not in self.entities or r.end <= r.start:
                continue
            value = text[r.start : r.end]
            score = r.score
            if r.entity_type == "PHONE_NUMBER" and _phone_formatted(value):
                # Written like a phone (+44 ..., (212) ..., 415-555-0132): as good as context.
                score = max(score, min(1.0, 0.4 + CONTEXT_BOOST))
            if score < self.threshold:
                continue
            if r.entity_type not in self._free_entities and _embedded(text, r.start, r.end):
                continue
            if value in self._allow_exact or any(rx.fullmatch(value) for rx in self._allow_regex):
                continue
            candidates.append((score, r.start, r.end, r.entity_type))
        candidates.sort(key=lambda c: (-c[0], -(c[2] - c[1]), c[1], c[3]))
        kept: list[Span] = []
        for _, start, end, entity in candidates:
            if all(end <= s or start >= e for s, e, _ in kept):
                kept.append((start, end, entity))
        kept.sort()
        return tuple(kept)


def _phone_formatted(value: str) -> bool:
    """Written the way people write phones: ``+44 ...``, ``(212) ...``, three digit groups;
    a dotted quad (``203.0.113.198``) is an IPv4 address, a date or time is not a phone."""
    value = value.strip()
    if _DOTTED_QUAD.fullmatch(value) or _DATE_OR_TIME.match(value):
        return False
    return value[:1] in ("+", "(") or len(_DIGIT_GROUP.findall(value)) >= 3


def _embedded(text: str, start: int, end: int) -> bool:
    """True when a span is part of a larger token: ``ORD-2025-004812``, ``SKU-88321``, ``1Z9..``."""
    if start > 0:
        before = text[start - 1]
        if before.isalnum() or before == "_":
            return True
        if before in "-." and start >= 2 and text[start - 2].isalnum():
            return True
    if end < len(text):
        after = text[end]
        if after.isalnum() or after == "_":
            return True
        if after in "-." and end + 1 < len(text) and text[end + 1].isalnum():
            return True
    return False


_ANALYZERS: dict[str, Analyzer] = {}


def build_analyzer(settings: PiiSettings) -> Analyzer:
    """The Analyzer for these settings, built once per process (forked workers inherit it)."""
    key = settings.engine_key()
    cached = _ANALYZERS.get(key)
    if cached is not None:
        return cached
    analyzer = _build(settings)
    _ANALYZERS[key] = analyzer
    # INFO, not WARNING: the pii stage reports NER-off once in its own summary and manifest.
    log.info(analyzer.info.describe())
    return analyzer


def _build(settings: PiiSettings) -> Analyzer:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    nlp_engine, model, ner = _nlp(settings)
    requested = settings.requested_entities()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    registry.load_predefined_recognizers(languages=[LANGUAGE], nlp_engine=nlp_engine)
    _check_entities(settings, requested, registry)
    recognizers = _recognizers(settings, requested, registry, ner)
    registry.recognizers = recognizers
    engine = AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        context_aware_enhancer=LemmaContextAwareEnhancer(context_matching_mode="whole_word"),
    )
    wanted = set(requested)
    active = {e for rec in recognizers for e in rec.supported_entities}
    info = EngineInfo(
        ner=ner,
        model=str(model) if model else "blank:en",
        entities=tuple(e for e in requested if e in active),
        ner_missing=() if ner else tuple(e for e in requested if e in NER_ONLY_ENTITIES),
        detectors=tuple(
            (rec.name, tuple(e for e in rec.supported_entities if e in wanted))
            for rec in recognizers
        ),
    )
    return Analyzer(engine, info, settings)


def _nlp(settings: PiiSettings):
    """Presidio's spaCy engine (the installed model, else a blank pipeline), the model's path or
    None, and whether it does NER; a lemmatizer is added when missing (context words need it)."""
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    model = find_spacy_model(settings.spacy_model)
    path = str(model) if model else str(blank_model_path(settings.cache_dir))
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": LANGUAGE, "model_name": path}],
        }
    )
    nlp_engine = provider.create_engine()
    nlp = nlp_engine.nlp[LANGUAGE]
    ner = model is not None and any(
        "ner" in name or name == "entity_ruler" for name in nlp.pipe_names
    )
    if "lemmatizer" not in nlp.pipe_names:
        # Context words are matched on lemmas; without a lemmatizer they are empty strings.
        _register_lemma_component()
        nlp.add_pipe(_LEMMA_COMPONENT, last=True)
    return nlp_engine, model, ner


def _check_entities(settings: PiiSettings, requested: list[str], registry) -> None:
    """Every requested entity type is one some recognizer can report; drops are requested."""
    known = {e for rec in registry.recognizers for e in rec.supported_entities}
    known |= set(NER_ONLY_ENTITIES) | set(SECRET_ENTITIES) | set(settings.custom_entities)
    known |= set(ADDRESS_ENTITIES)
    unknown = [e for e in requested if e not in known]
    if unknown:
        raise ConfigError(
            f"pii.entities: unknown entity types {unknown}",
            f"valid choices: {', '.join(sorted(known))}",
        )
    if settings.drop_entities:
        bad = [e for e in settings.drop_entities if e not in requested]
        if bad:
            raise ConfigError(f"pii.drop_entities: {bad} not among the entities looked for")


def _recognizers(settings: PiiSettings, requested: list[str], registry, ner: bool) -> list:
    """Presidio's recognizers for the requested types (NER only with a model), then ours."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer, SpacyRecognizer

    wanted = set(requested)
    recognizers = []
    for rec in registry.recognizers:
        if isinstance(rec, SpacyRecognizer) and not ner:
            continue
        if isinstance(rec, PhoneRecognizer):
            rec = PhoneRecognizer(context=list(PHONE_CONTEXT), supported_regions=PHONE_REGIONS)
        if wanted & set(rec.supported_entities):
            recognizers.append(rec)
    # Names and addresses without NER; kept with NER on too (they find what a model misses).
    if "PERSON" in wanted:
        recognizers.append(name_recognizer("names" in settings.gazetteers))
    if "LOCATION" in wanted and "places" in settings.gazetteers:
        recognizers.append(place_recognizer())
    if wanted & set(ADDRESS_ENTITIES):
        recognizers.append(address_recognizer(requested))
    if "PHONE_NUMBER" in wanted:  # by shape, beside Presidio's validating recognizer
        recognizers.append(phone_shape_recognizer(requested))
    if wanted & {"CREDIT_CARD", "IBAN_CODE"}:  # beside Presidio's recognizers for both
        recognizers.append(payment_recognizer(requested))
    if "KEYED_SECRET" in wanted:
        recognizers.append(keyed_secret_recognizer())
    recognizers += secret_recognizers([e for e in requested if e in SECRET_ENTITIES])
    recognizers += custom_recognizers([CustomPattern(**c) for c in settings.custom_recognizers])
    return recognizers
