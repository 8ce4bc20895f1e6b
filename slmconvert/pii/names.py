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

The gazetteer is the US Census Bureau's 2020 given names and surnames with their counts
(``gazetteers``); a token is looked up by its folded spelling (``García`` -> ``GARCIA``). A
pair of everyday English words (``Rose Garden``, ``Will Power``) counts only when both are
common names (``Mark Brown``); single-word rules skip everyday words, months and weekdays.
Names missing from the census are still missed in free text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from slmconvert.pii.gazetteers import census_counts, common_words, fold
from slmconvert.pii.spans import Found, span_recognizer

NOT_GIVEN = frozenset(
    "Else Floor Job Lot Long Via Sale Store Gear Hi Hello Hey Dear Thanks Welcome Bye Cheers "
    "Congrats Morning Evening Best Regards".split()
)
"""Words the census lists as given names that cannot open a name in text."""

PAIR_MIN_COUNT = 20_000
"""When both words of a pair are everyday words (``Rose Garden``), each must be this common a
name (``Mark Brown``, ``Will Smith``) for the pair to count."""

RARE_PAIR_COUNT = 1_000
"""A pair with a name this rare (``Orin Nano``: 3,394 and 561 people) needs the other to be a
common name; two rare names are more likely a product."""

RARE_NAME_MIN_COUNT = 300
"""An everyday word carried as a name by this many people may stand in a cued name (``Rout``)."""

BARE_KEY_MIN_COUNT = 2_000
"""Under a bare ``name`` key, a multi-word value counts when its first word is a given name or
its last a surname carried by at least this many people (``Jetson Orin Nano`` is a product)."""
CALENDAR = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)

PERSON_SCORE = 0.85

UPPER = "A-ZÀ-ÖØ-ÞĀ-ɏḀ-ỿ"
"""Latin letters that can open a capitalised word (a regex class body; Extended-A/B mix cases)."""
LOWER = "a-zß-öø-ÿĀ-ɏḀ-ỿ"
"""Latin letters that can follow in a capitalised word."""
_UP, _LO = UPPER, LOWER
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
_PARTICLE = r"(?:van|de|der|den|von|da|di|del|dos|das|du|la|le|ter|bin|binti|al|el|y)"
_CUES = (
    r"by|with|for|to|from|and|cc|attn|contact|ask|asked|tell|told|call|met|whether|if|that|"
    r"about|named|called|when|as|this is|I'm|I am|I’m|Thanks|Thank you|Dear|Hi|Hello|Hey"
)
_NON_LATIN = r"(?:(?![A-Za-zÀ-ɏ])[\p{L}\p{M}])"
_OTHER_RUN = rf"{_NON_LATIN}+(?:[ \t・·]{_NON_LATIN}+){{0,2}}"
_CUED_OTHER = regex.compile(rf"\b(?:{_CUES}),?[ \t]+({_OTHER_RUN})")
_OTHER_VALUE = regex.compile(rf"[ \t]*({_OTHER_RUN})[ \t]*")
_CUED_RUN = re.compile(
    rf"\b(?:{_CUES}),?[ \t]+"
    rf"({TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{TOKEN}){{1,2}}(?:[ \t]+{_PARTICLE})?)"
    rf"(?=['’]s\b|[\s,.!?:;)]|$)"
)
MODERN_WORDS = frozenset(
    "app online email login logout signup wifi website web internet smartphone laptop blog "
    "podcast download upload chatbot inbox password username dashboard checkout cashback "
    "streaming playlist selfie hashtag emoji startup fintech ebook gadget smartwatch "
    "subscription voucher".split()
)
"""Everyday words younger than the 1934 word list behind ``common_words``."""
ORGANISATION_WORDS = frozenset(
    "Inc Corp Ltd LLC GmbH AG SA Labs Group Bank Co Team Support Services Solutions".split()
)
_KEYED_VALUE = re.compile(
    rf"[ \t]*({TOKEN}(?:{_SEP}(?:{TOKEN}|[{_UP}]\.|{_PARTICLE}(?={_SEP}{TOKEN}))){{0,3}})[ \t]*"
)
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


class Gazetteer:
    """Census counts of given names and surnames, looked up by a token's folded spelling."""

    def __init__(self, enabled: bool = True):
        self.given_counts = census_counts("given") if enabled else {}
        self.surname_counts = census_counts("surnames") if enabled else {}

    def given(self, token: str) -> int:
        """How many people have ``token`` as a given name (0: not a known given name)."""
        if token in NOT_GIVEN or token in CALENDAR:
            return 0
        return self.given_counts.get(fold(token), 0)

    def surname(self, token: str) -> int:
        """How many people have ``token`` as a surname (0: not a known surname)."""
        return self.surname_counts.get(fold(token.rstrip(".")), 0)

    def pair(self, first: str, last: str) -> bool:
        """True when ``first last`` reads as a given name and a surname."""
        g, s = self.given(first), self.surname(last)
        if not g or not s or (min(g, s) < RARE_PAIR_COUNT and max(g, s) < PAIR_MIN_COUNT):
            return False
        if everyday(first) and everyday(last):
            return g >= PAIR_MIN_COUNT and s >= PAIR_MIN_COUNT
        return True

    def common_name(self, token: str) -> bool:
        """A given name or surname at least ``PAIR_MIN_COUNT`` people carry (``Mark``, ``Rose``)."""
        return max(self.given(token), self.surname(token)) >= PAIR_MIN_COUNT

    def lone_given(self, token: str) -> bool:
        """A given name that can stand alone (after ``Hi``, as a speaker): not an everyday word."""
        return bool(self.given(token)) and not everyday(token)


@lru_cache(maxsize=2)
def gazetteer(enabled: bool = True) -> Gazetteer:
    """The census gazetteer (empty when ``enabled`` is False), built once per process."""
    return Gazetteer(enabled)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    try:
        from spacy.lang.en.stop_words import STOP_WORDS
    except ImportError:  # pragma: no cover - spaCy is a dependency of Presidio
        return frozenset()
    return frozenset(STOP_WORDS)


def everyday(token: str) -> bool:
    """An everyday English word (``Rose``, ``Will``, ``May``), whatever its case."""
    low = token.lower()
    return low in common_words() or low in MODERN_WORDS or low in _stop_words() or token in CALENDAR


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


def _keyed(text: str, names: Gazetteer) -> list[tuple[int, int]]:
    m = _KEYED.match(text)
    if m is None:
        return []
    kind = name_key(m.group(1))
    if kind is None:
        return []
    value = _KEYED_VALUE.fullmatch(text, m.end())
    if value is None:  # a name in another script: no capitals to go by, the key decides
        other = _OTHER_VALUE.fullmatch(text, m.end())
        return [other.span(1)] if other else []
    tokens = value.group(1).split()
    if kind == "name":
        if len(tokens) == 1:
            known = names.lone_given(tokens[0])
        else:  # products have names too: a name people really carry, or a name-shaped pair
            known = max(names.given(tokens[0]), names.surname(tokens[-1])) >= BARE_KEY_MIN_COUNT
            capitals = [t for t in tokens if t[0].isupper()]
            known = known or (len(capitals) == 2 and _name_shaped(capitals, names))
        if not known:
            return []
    return [value.span(1)]


def _runs(text: str, names: Gazetteer) -> list[tuple[int, int]]:
    spans = []
    for run in _RUN.finditer(text):
        words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", run.group())]
        base = run.start()
        i = 0
        while i < len(words) - 1:
            if names.given(words[i][2]):
                j = next(
                    (
                        j
                        for j in (i + 2, i + 1)
                        if j < len(words) and names.pair(words[i][2], words[j][2])
                    ),
                    0,
                )
                if j:
                    spans.append((base + words[i][0], base + words[j][1]))
                    i = j
            i += 1
    return spans


def find_names(text: str, use_gazetteer: bool = True) -> list[tuple[int, int]]:
    """Spans of person names in ``text`` (may overlap; the analyzer keeps the longest).

    Without the gazetteer only the rules that need no list count: name keys, titles,
    ``my name is`` and closings."""
    if not _CAPITALISED.search(text) and text.isascii():
        return []
    names = gazetteer(use_gazetteer)
    spans = _keyed(text, names)
    spans += _runs(text, names)
    for m in _INVERTED.finditer(text):
        last, first = m.groups()
        if names.pair(first, last) and names.given(last) < names.surname(last):
            spans.append(m.span())
    for m in _TITLE.finditer(text):
        title, first, second = m.groups()
        if title == "Dr" and re.search(rf"{TOKEN}[ \t]+$", text[: m.start()]):
            continue  # "Elm Dr Springfield": a street, not a doctor
        if title in _STRICT_TITLES and not (names.given(first) or names.surname(first)):
            continue
        end = m.end(3) if second and (names.surname(second) or names.given(first)) else m.end(2)
        spans.append((m.start(), end))
    if '"' in text:  # JSON written as text (an answer quoting a record): keyed values too
        for m in _JSON_PAIR.finditer(text):
            for start, end in _keyed(f"{key_words(m.group(1))}: {m.group(2)}", names):
                offset = m.start(2) - len(key_words(m.group(1))) - 2
                spans.append((start + offset, end + offset))
    for rx in (_GREETING, _VOCATIVE, _SPEAKER, _INTRO, _PAREN):
        for m in rx.finditer(text):
            if names.lone_given(m.group(1)):
                spans.append(m.span(1))
    spans += _cued_runs(text, names)
    if not text.isascii():  # a name in another script after a cue: "Thanks, Иван Петров!"
        spans += [m.span(1) for m in _CUED_OTHER.finditer(text)]
    for rx in (_NAMED, _CLOSING):
        for m in rx.finditer(text):
            spans.append(m.span(1))
    return spans


def _foreign(token: str) -> bool:
    """A capitalised word that is not an English word, month or organisation word."""
    low = token.lower()
    if token in CALENDAR or token in ORGANISATION_WORDS or low in _stop_words():
        return False
    if low in MODERN_WORDS or low in common_words():
        return False
    return not (low.endswith("s") and (low[:-1] in common_words() or low[:-1] in MODERN_WORDS))


def _cued_runs(text: str, names: Gazetteer) -> list[tuple[int, int]]:
    """2-3 capitalised words after a cue (``by``, ``with``, ``Thanks,``) that are all names
    or non-English words: ``Signed for by Josip Rubinić``, ``spoke with Oni Samosir``."""
    if not names.given_counts:
        return []
    spans = []
    for m in _CUED_RUN.finditer(text):
        if _name_shaped([t for t in m.group(1).split() if t[0].isupper()], names):
            spans.append(m.span(1))
    return spans


def _name_shaped(tokens: list[str], names: Gazetteer) -> bool:
    """Every word a non-English word or a name: ``Aradhana Rout``, ``Mark Brown``, ``Hidde
    Martens``; not ``Customer Service``, ``Rose Garden`` or ``Xbox Game Pass``.

    One word may be an everyday word that the census lists as a name (``Rout``) when another
    is not English; otherwise everyday words must be common names (``Mark``, ``Brown``)."""
    foreign = weak = 0
    for token in tokens:
        if _foreign(token):
            foreign += 1
        elif not names.common_name(token):
            rare_name = max(names.given(token), names.surname(token)) >= RARE_NAME_MIN_COUNT
            if not rare_name or token.lower() in MODERN_WORDS:
                return False
            weak += 1
    return weak <= 1 and (foreign > 0 or weak == 0)


@lru_cache(maxsize=65536)
def _found(text: str, use_gazetteer: bool) -> Found:
    return tuple(
        (start, end, "PERSON", PERSON_SCORE)
        for start, end in sorted(set(find_names(text, use_gazetteer)))
    )


def name_recognizer(use_gazetteer: bool = True):
    """A Presidio recognizer reporting PERSON from the rules above (score 0.85)."""
    return span_recognizer(
        "SlmconvertNameRecognizer", ["PERSON"], lambda text: _found(text, use_gazetteer),
        load=lambda: (gazetteer(use_gazetteer), everyday("")),
    )  # fmt: skip
