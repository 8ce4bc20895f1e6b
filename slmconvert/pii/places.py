"""City, town and village names without NER, from GeoNames (``gazetteers.place_table``).

One regex pass finds candidate phrases (capitalised words, joined by the particles place names
use: ``Frankfurt am Main``, ``Rio de Janeiro``, ``Aix-en-Provence``) and words in other scripts
(``Москва``); each phrase is looked up whole, then by its longest known sub-phrase. A known
place counts when the evidence fits how many people live there:

- under a place key (``city``, ``destination``, ``origin``, ``location``, ...): any capitalised
  value, known or not;
- after a place cue (``in``, ``to``, ``from``, ``near``, ``visiting``, ``city of``) or before
  one (``depot``, ``airport``, ``office``): any known place, unless it is also an everyday
  English word (``Reading``, ``Mobile``) of under ``COMMON_MIN_POPULATION`` people;
- anywhere: places of ``FREE_MIN_POPULATION`` or more that are neither everyday words nor
  people's names, and places of ``BIG_MIN_POPULATION`` or more that do not open a sentence.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from slmconvert.pii.gazetteers import census_counts, common_words, fold, place_table
from slmconvert.pii.names import LOWER, UPPER
from slmconvert.pii.spans import Found, span_recognizer

PLACE_SCORE = 0.85
FREE_MIN_POPULATION = 15_000
COMMON_MIN_POPULATION = 100_000
BIG_MIN_POPULATION = 1_000_000

_UP, _LO = UPPER, LOWER
_CAP = rf"[{_UP}](?:[{_LO}{_UP}'’]|-(?=[{_LO}{_UP}]))*[{_LO}]"
_PARTICLE = (
    r"(?:de|del|da|do|dos|das|di|du|la|le|les|am|an|der|im|upon|on|sur|en|y|van|aan|den|op|"
    r"nad|pod|pri|na|el|al|bei|ob|sankt|St\.|Ste\.)"
)
_PHRASE = re.compile(
    rf"(?<![\w@.#/-]){_CAP}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_CAP}){{0,4}}(?![\w@-])"
)
_NON_LATIN = r"(?:(?![A-Za-zÀ-ɏḀ-ỿ])[\p{L}\p{M}])"
_OTHER_SCRIPT = regex.compile(rf"{_NON_LATIN}{{2,}}(?:[ \t-]{_NON_LATIN}{{2,}}){{0,2}}")
_CUE_BEFORE = re.compile(
    r"(?:\b(?:in|to|from|near|at|via|around|outside|towards|into|through|visit|visiting|"
    r"leave|leaving|left|reach|reached|for|city of|town of|village of|heading|flying|"
    r"based in|live in|lives in|moving to)[ \t]+(?:the[ \t]+)?)$",
    re.I,
)
_CUE_AFTER = re.compile(
    r"^[ \t]+(?:depot|airport|office|branch|store|hub|station|warehouse|area|region|city|"
    r"centre|center|downtown|suburbs|headquarters|HQ)\b",
    re.I,
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:\n][\s\"']*)$")
_KEY = re.compile(r"([a-z0-9 ]{1,48}): ")
_KEYED_VALUE = regex.compile(
    rf"[ \t]*((?:{_CAP}|{_NON_LATIN}+)(?:[ \t,'’.-]+(?:{_PARTICLE}[ \t]+)?"
    rf"(?:{_CAP}|{_NON_LATIN}+)){{0,5}})[ \t]*"
)
_CHEAP = regex.compile(rf"[{_UP}][{_LO}]|{_NON_LATIN}")

PLACE_KEY_WORDS = frozenset(
    "city town village municipality locality destination origin location hometown birthplace "
    "place suburb".split()
)
"""A key whose last word is one of these holds a place (``pickupCity``, ``destination``)."""


def _keyed(text: str) -> tuple[int, int] | None:
    m = _KEY.match(text)
    words = m.group(1).split() if m else []
    if not words or words[-1] not in PLACE_KEY_WORDS:
        return None
    value = _KEYED_VALUE.fullmatch(text, m.end())
    return value.span(1) if value else None


def _common(phrase: str) -> bool:
    return phrase.lower() in common_words()


def _name_like(phrase: str) -> bool:
    key = fold(phrase)
    return key in census_counts("given") or key in census_counts("surnames")


def _accept(text: str, start: int, end: int, population: int) -> bool:
    phrase = text[start:end]
    before, after = text[max(0, start - 40) : start], text[end : end + 24]
    common = _common(phrase)
    alternate, population = population < 0, abs(population)
    if _CUE_BEFORE.search(before) or _CUE_AFTER.match(after):
        return not common or population >= COMMON_MIN_POPULATION
    if alternate:  # another name of a place ("Google" is one): only after a cue
        return False
    if population >= BIG_MIN_POPULATION:
        return not (common and _SENTENCE_START.search(before))
    return population >= FREE_MIN_POPULATION and not common and not _name_like(phrase)


def _words(phrase_start: int, phrase: str) -> list[tuple[int, int]]:
    return [(phrase_start + m.start(), phrase_start + m.end()) for m in re.finditer(r"\S+", phrase)]


def _lookup(text: str, start: int, phrase: str, places: dict[str, int]) -> list[tuple[int, int]]:
    """Known places inside one candidate phrase: longest first, left to right."""
    words = _words(start, phrase)
    spans, i = [], 0
    while i < len(words):
        for j in range(len(words), i, -1):
            s, e = words[i][0], words[j - 1][1]
            pop = places.get(text[s:e])
            if pop is not None:
                if _accept(text, s, e, pop):
                    spans.append((s, e))
                i = j - 1
                break
        i += 1
    return spans


def find_places(text: str) -> list[tuple[int, int]]:
    """Spans of place names in ``text``."""
    if not _CHEAP.search(text):
        return []
    places = place_table()
    keyed = _keyed(text)
    if keyed is not None:
        return [keyed]
    spans = []
    for rx in (_PHRASE, _OTHER_SCRIPT):
        for m in rx.finditer(text):
            spans += _lookup(text, m.start(), m.group(), places)
    return spans


@lru_cache(maxsize=65536)
def _found(text: str) -> Found:
    return tuple((s, e, "LOCATION", PLACE_SCORE) for s, e in sorted(set(find_places(text))))


def _load() -> None:
    place_table()
    common_words()
    census_counts("given")
    census_counts("surnames")


def place_recognizer():
    """A Presidio recognizer reporting LOCATION for places (score 0.85)."""
    return span_recognizer("SlmconvertPlaceRecognizer", ["LOCATION"], _found, load=_load)
