"""Person names without NER: a gazetteer of given names and surnames, and name-keyed fields.

Without a spaCy NER model Presidio finds no PERSON at all. ``NameRecognizer`` closes most of
that gap with rules that need no model:

- a run of 2-3 capitalised words whose first is a known given name and whose last is a known
  surname (``Maria Garcia``, ``Mary Ann Smith``); ``Surname, Given`` (``Garcia, Maria``);
- a title and a capitalised word (``Mr. Okafor``, ``Dr Smith``);
- a known given name where only a name can stand: after a greeting (``Hi Megan!``), as the
  addressee of a sentence (``Thanks for waiting, Megan.``), as a chat speaker
  (``[16:39] Megan: ...``), in a self-introduction (``I'm Megan``); any 1-3 capitalised words
  after ``my name is`` or on the line after a closing (``Best regards,\\nMegan Chang``);
- a JSON value under a name key (``customer name: ...``, ``recipient: ...``) made of 1-4
  capitalised words, in the gazetteer or not; under a bare ``name`` key (products have names
  too) only a known given name, or 2-4 capitalised words starting with a known given name or
  ending with a known surname. JSON written as text (``{"name": "Paul"}`` in an answer) is
  read the same way.

The gazetteer comes from Faker's person providers for a dozen locales, built once per process
on first use. Common English words that happen to be names in some locale (``Else``, ``Job``)
are left out of the given names; single-word rules also skip month and weekday names. Names
missing from the gazetteer are still missed in free text.
"""

from __future__ import annotations

import re
from functools import lru_cache

NAME_LOCALES = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_IN",
    "es_ES",
    "es_MX",
    "fr_FR",
    "de_DE",
    "it_IT",
    "pt_BR",
    "nl_NL",
    "hi_IN",
)
"""Faker locales whose ``first_names`` and ``last_names`` make up the gazetteer."""

NICKNAMES = frozenset(
    "Al Alex Andy Ben Bill Billy Bob Bobby Chris Dan Danny Dave Ed Eddie Greg Jake Jim Jimmy "
    "Joe Joey Jon Kate Katie Ken Kim Larry Liz Matt Mike Nick Pat Pete Rob Ron Sam Steve Sue "
    "Tom Tommy Tony Will Zach".split()
)
"""Short forms Faker does not list as given names."""

NOT_GIVEN = frozenset("Else Floor Job Lot Long Via Sale Store Gear".split())
"""Words Faker lists as given names that are too common in text to count as one."""

CALENDAR = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)

PERSON_SCORE = 0.85

_UP = "A-ZÀ-ÖØ-ÞĀ-ž"
_LO = "a-zß-öø-ÿĀ-ž"
TOKEN = rf"(?:[{_UP}]['’][{_UP}][{_LO}]+|[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:-[{_UP}][{_LO}]+)?)"
"""A capitalised word: ``Maria``, ``McDonald``, ``O'Brien``, ``Smith-Jones``, ``García``."""

_SEP = r"[ \t]+"
_RUN = re.compile(rf"(?<![\w@.#/-]){TOKEN}(?:{_SEP}(?:{TOKEN}|[{_UP}]\.))+(?![\w@-])")
_INVERTED = re.compile(rf"(?<![\w@.#/-])({TOKEN}),[ \t]+({TOKEN})(?![\w@-])")
_TITLE = re.compile(
    rf"(?<![\w@.-])(Mr|Mrs|Ms|Mx|Dr|Prof|Miss|Sir|Dame|Madam|Mme|Mlle|Herr|Frau|Sra?)\.?"
    rf"{_SEP}({TOKEN})(?:{_SEP}({TOKEN}))?(?![\w@-])"
)
_STRICT_TITLES = frozenset(("Miss", "Sir", "Dame", "Madam", "Herr", "Frau", "Sr", "Sra"))
_GREETING = re.compile(
    rf"\b(?:Hi|Hello|Hey|Dear|Thanks|Thank you|Sorry|Welcome|Bye|Goodbye|Cheers|Congrats|"
    rf"Morning|Afternoon|Evening)[ \t]*,?{_SEP}({TOKEN})(?=[\s,.!?:;)]|$)"
)
_VOCATIVE = re.compile(rf",[ \t]+({TOKEN})(?=[ \t]*[!?.](?!\w)|[ \t]+[-–—][ \t]|[ \t]*$)", re.M)
_SPEAKER = re.compile(
    rf"^(?:\[[^\]\n]{{1,24}}\][ \t]*)?({TOKEN})(?:[ \t]+\([a-z ]{{1,20}}\))?:[ \t]", re.M
)
_INTRO = re.compile(rf"\b(?:I'm|I am|I’m|[Tt]his is|[Ii]t's|[Ii]t is){_SEP}({TOKEN})(?![\w@-])")
_NAMED = re.compile(
    rf"\b(?:[Mm]y name is|[Mm]y name's|[Ss]igned by|(?<![A-Za-z] )(?:Name|Customer):)"
    rf"{_SEP}({TOKEN}(?:{_SEP}(?:{TOKEN}|[{_UP}]\.)){{0,2}})(?![\w@-])"
)
_CLOSING = re.compile(
    rf"(?:Regards|Best|Thanks|Thank you|Cheers|Sincerely|Best regards|Kind regards|"
    rf"Warm regards|Many thanks|Yours)[,!.]?[ \t]*\n[ \t]*"
    rf"({TOKEN}(?:{_SEP}(?:{TOKEN}|[{_UP}]\.)){{0,2}})[ \t]*(?=\n|$)"
)
_KEYED = re.compile(r"([a-z0-9 ]{1,48}): ")
_JSON_PAIR = re.compile(r'"([A-Za-z_ ]{1,40})"[ \t]*:[ \t]*"([^"\\\n]{1,80})"')
_PAREN = re.compile(rf"\(({TOKEN})(?=[,)])")
_KEYED_VALUE = re.compile(rf"[ \t]*({TOKEN}(?:{_SEP}(?:{TOKEN}|[{_UP}]\.)){{0,3}})[ \t]*")
_CAPITALISED = re.compile(rf"[{_UP}][{_LO}]")

NAME_KEY_WORDS = frozenset(
    (
        "customer",
        "recipient",
        "surname",
        "cardholder",
        "sender",
        "requester",
        "passenger",
        "patient",
        "contact",
        "addressee",
        "attendee",
        "signatory",
        "fullname",
        "firstname",
        "lastname",
    )
)
"""A key whose last word is one of these holds a person (``customer``, ``recipient``)."""

NAME_QUALIFIERS = frozenset(
    (
        "full first last given family middle customer recipient contact holder cardholder "
        "billing shipping sender user display person client patient passenger employee agent "
        "requester account legal maiden nick preferred"
    ).split()
)
"""``<qualifier> name`` keys hold a person (``full name``, ``customer name``)."""


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """``(given_names, surnames)`` from Faker's person providers, built once per process."""
    import importlib

    shape = re.compile(TOKEN)
    given: set[str] = set(NICKNAMES)
    surnames: set[str] = set()
    for locale in NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except (ImportError, AttributeError):  # pragma: no cover - Faker without the locale
            continue
        given.update(n for n in getattr(provider, "first_names", ()) if shape.fullmatch(n))
        surnames.update(n for n in getattr(provider, "last_names", ()) if shape.fullmatch(n))
    given -= NOT_GIVEN
    return frozenset(given), frozenset(surnames)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Common English words, capitalised (``Day``, ``Best``): Faker's lorem words, spaCy's
    stop words and the calendar, loaded once per process."""
    from faker.providers.lorem.en_US import Provider as Lorem

    words = {w.capitalize() for w in Lorem.word_list}
    try:
        from spacy.lang.en.stop_words import STOP_WORDS

        words |= {w.capitalize() for w in STOP_WORDS}
    except ImportError:  # pragma: no cover - spaCy is a dependency of Presidio
        pass
    return frozenset(words | CALENDAR)


def _lone_given(token: str, given: frozenset[str]) -> bool:
    return token in given and token not in CALENDAR


def key_words(key: str) -> str:
    """``"customerName"`` / ``"customer_name"`` -> ``"customer name"`` (as ``walk`` writes keys)."""
    from slmconvert.pii.walk import key_prefix

    return key_prefix(key)[:-2]


def name_key(key: str) -> str | None:
    """``"strong"`` for keys that hold a person, ``"name"`` for a bare ``name``, else None."""
    words = key.split()
    if not words:
        return None
    if words == ["name"]:
        return "name"
    last = words[-1]
    if last in NAME_KEY_WORDS:
        return "strong"
    if last == "name" and words[-2] in NAME_QUALIFIERS:
        return "strong"
    return None


def _keyed(text: str, given: frozenset[str], surnames: frozenset[str]) -> list[tuple[int, int]]:
    m = _KEYED.match(text)
    if m is None:
        return []
    kind = name_key(m.group(1))
    if kind is None:
        return []
    value = _KEYED_VALUE.fullmatch(text, m.end())
    if value is None:
        return []
    tokens = value.group(1).split()
    if kind == "name":
        if len(tokens) == 1:
            known = tokens[0] in given and tokens[0] not in common_words()
        else:
            known = tokens[0] in given or tokens[-1].rstrip(".") in surnames
        if not known:
            return []
    return [value.span(1)]


def _runs(text: str, given: frozenset[str], surnames: frozenset[str]) -> list[tuple[int, int]]:
    spans = []
    for run in _RUN.finditer(text):
        words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", run.group())]
        base = run.start()
        i = 0
        while i < len(words) - 1:
            if words[i][2] in given:
                j = next(
                    (j for j in (i + 2, i + 1) if j < len(words) and words[j][2] in surnames), 0
                )
                if j:
                    spans.append((base + words[i][0], base + words[j][1]))
                    i = j
            i += 1
    return spans


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans of person names in ``text`` (may overlap; the analyzer keeps the longest)."""
    if not _CAPITALISED.search(text):
        return []
    given, surnames = gazetteer()
    spans = _keyed(text, given, surnames)
    spans += _runs(text, given, surnames)
    for m in _INVERTED.finditer(text):
        if m.group(1) in surnames and m.group(1) not in given and m.group(2) in given:
            spans.append(m.span())
    for m in _TITLE.finditer(text):
        title, first, second = m.groups()
        if title == "Dr" and re.search(rf"{TOKEN}[ \t]+$", text[: m.start()]):
            continue  # "Elm Dr Springfield": a street, not a doctor
        if title in _STRICT_TITLES and first not in given and first not in surnames:
            continue
        end = m.end(3) if second and (second in surnames or first in given) else m.end(2)
        spans.append((m.start(), end))
    if '"' in text:  # JSON written as text (an answer quoting a record): keyed values too
        for m in _JSON_PAIR.finditer(text):
            for start, end in _keyed(f"{key_words(m.group(1))}: {m.group(2)}", given, surnames):
                offset = m.start(2) - len(key_words(m.group(1))) - 2
                spans.append((start + offset, end + offset))
    for rx in (_GREETING, _VOCATIVE, _SPEAKER, _INTRO, _PAREN):
        for m in rx.finditer(text):
            if _lone_given(m.group(1), given):
                spans.append(m.span(1))
    for rx in (_NAMED, _CLOSING):
        for m in rx.finditer(text):
            spans.append(m.span(1))
    return spans


@lru_cache(maxsize=65536)
def _cached(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sorted(set(find_names(text))))


def name_recognizer():
    """A Presidio ``EntityRecognizer`` reporting PERSON from the rules above (score 0.85).

    It has a ``could_match(text)`` method that the analyzer's pre-filter uses: True exactly
    when ``analyze`` would report something, and both share one cache.
    """
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class NameRecognizer(EntityRecognizer):
        """PERSON from a gazetteer, titles, greetings and name-keyed JSON values."""

        def __init__(self) -> None:
            super().__init__(supported_entities=["PERSON"], name="SlmconvertNameRecognizer")

        def load(self) -> None:
            """Nothing to load: the gazetteer is built on first use."""

        def could_match(self, text: str) -> bool:
            """True when ``analyze`` would report at least one name in ``text``."""
            return bool(_cached(text))

        def analyze(self, text, entities, nlp_artifacts=None):
            """PERSON results for ``text`` (empty unless PERSON is among ``entities``)."""
            if "PERSON" not in entities:
                return []
            return [
                RecognizerResult("PERSON", start, end, PERSON_SCORE) for start, end in _cached(text)
            ]

    return NameRecognizer()
