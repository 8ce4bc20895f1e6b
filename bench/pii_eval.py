"""Measure the pii detectors: precision and recall per entity type, script and location.

Samples come from ``slmconvert.testing.pii_corpus``: agent calls written here from templates
(chat turns, system prompts, JSON tool arguments, tool results, answers), each with one value
planted from a source the detectors do not use (Faker's per-locale names and real town lists,
from 18 Latin-script and 9 other-script locales; Faker's structured values; secrets built at
run time) or one hard negative (order ids, SKUs, amounts, dates, timestamps, versions, product
names, code). It runs the detectors with and without the gazetteers, with NER off (the default
on a laptop), and prints:

- recall per planted entity group, split by script and by location; leaks through the
  scrubber (a word of the value still in its output) per group and per secret type;
- precision per reported entity type (a reported span overlapping a planted value is right);
- survival of the hard negatives per kind;
- what each gazetteer costs: load time and memory.

    python bench/pii_eval.py                 # 4,000 samples, seed 1
    python bench/pii_eval.py --samples 1000 --json bench/results/pii_eval.json
    python bench/pii_eval.py --save-measured  # what the pii stage quotes in its manifest
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tracemalloc
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slmconvert.testing.pii_corpus import LOCATIONS, STRUCTURED, corpus  # noqa: E402
from slmconvert.testing.pii_scoring import Scores, measure  # noqa: E402

GROUPS = ("PERSON", "LOCATION", *STRUCTURED, "SECRET")


def gazetteer_costs() -> list[tuple[str, float, float]]:
    """``(gazetteer, seconds, MiB)`` to load each word list in a fresh state."""
    from slmconvert.pii import gazetteers

    out = []
    for name, load in (
        ("names (census)", lambda: (gazetteers.census_counts("given"),
                                    gazetteers.census_counts("surnames"))),
        ("places (GeoNames)", gazetteers.place_table),
        ("everyday words", gazetteers.common_words),
    ):  # fmt: skip
        tracemalloc.start()
        start = time.perf_counter()
        load()
        seconds = time.perf_counter() - start
        out.append((name, seconds, tracemalloc.get_traced_memory()[0] / 2**20))
        tracemalloc.stop()
    return out


def _fmt(x: float) -> str:
    return "  n/a" if math.isnan(x) else f"{x:5.3f}"


def report(samples: list, on: Scores, off: Scores) -> dict:
    """Print the tables; return the same numbers as a dict."""
    n = {g: sum(v for k, v in on.planted.items() if k[0] == g) for g in GROUPS}
    print(f"\n{len(samples)} samples; NER off; gazetteers on vs off\n")
    print(f"{'planted':<14}{'n':>6} {'recall':>8} {'latin':>7} {'other':>7} {'leaks':>6}"
          f" | {'no gaz.':>8} {'leaks':>6}")  # fmt: skip
    for g in GROUPS:
        print(f"{g:<14}{n[g]:>6} {_fmt(on.recall(g)):>8} {_fmt(on.recall(g, 'latin')):>7}"
              f" {_fmt(on.recall(g, 'other')):>7} {on.leaks(g):>6} |"
              f" {_fmt(off.recall(g)):>8} {off.leaks(g):>6}")  # fmt: skip
    print(f"\n{'recall by location':<20}" + "".join(f"{loc:>11}" for loc in LOCATIONS))
    for g in GROUPS:
        print(f"{g:<20}" + "".join(f"{_fmt(on.recall(g, None, loc)):>11}" for loc in LOCATIONS))
    print(f"\n{'secret type':<22}{'n':>5}{'recall':>8}{'leaks':>7}")
    for kind in sorted(on.secret_planted):
        n = on.secret_planted[kind]
        print(f"{kind:<22}{n:>5}{on.secret_found[kind] / n:>8.3f}{on.secret_leaked[kind]:>7}")
    print(f"\n{'reported entity':<22}{'spans':>7}{'precision':>10} | {'no gaz.':>8}")
    for e in sorted(on.reported, key=lambda e: -on.reported[e]):
        print(
            f"{e:<22}{on.reported[e]:>7}{_fmt(on.precision(e)):>10} | {_fmt(off.precision(e)):>8}"
        )
        if on.wrong_examples.get(e):
            print(f"{'':<6}wrong: {on.wrong_examples[e][:4]}")
    print(f"\n{'hard negative':<14}{'n':>5}{'survived':>10}")
    for kind in sorted(on.negatives):
        print(f"{kind:<14}{on.negatives[kind]:>5}{on.survived[kind] / on.negatives[kind]:>10.3f}")
    print(f"{'all':<14}{sum(on.negatives.values()):>5}{on.survival():>10.3f}")
    return {
        "samples": len(samples),
        "recall": {
            g: {
                "all": on.recall(g),
                "latin": on.recall(g, "latin"),
                "other": on.recall(g, "other"),
                "no_gazetteers": off.recall(g),
            }
            for g in GROUPS
        },  # fmt: skip
        "leaks": {g: on.leaks(g) for g in GROUPS},
        "secret_recall": {k: on.secret_found[k] / n for k, n in on.secret_planted.items()},
        "precision": {e: on.precision(e) for e in on.reported},
        "negatives_survived": on.survival(),
    }


def main() -> None:
    """Build the corpus, score with and without gazetteers, print, optionally save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--save-measured", action="store_true", help="write the recall the pii stage quotes"
    )
    args = parser.parse_args()
    costs = gazetteer_costs()
    samples = list(corpus(args.samples, args.seed))
    on = measure(samples, ["names", "places"])
    off = measure(samples, [])
    result = report(samples, on, off)
    print(f"\n{'gazetteer':<20}{'load s':>8}{'MiB':>8}")
    for name, seconds, mib in costs:
        print(f"{name:<20}{seconds:>8.2f}{mib:>8.1f}")
    result["gazetteer_costs"] = {name: {"seconds": s, "mib": m} for name, s, m in costs}
    if args.json:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    if args.save_measured:
        save_measured(result, args)


def save_measured(result: dict, args) -> None:
    """Write ``slmconvert/pii/data/measured_recall.json`` (recall per group, rounded)."""
    from slmconvert.pii.measured import MEASURED_FILE

    recall = {
        group: {k: round(v, 3) for k, v in r.items() if k != "no_gazetteers" and v == v}
        for group, r in result["recall"].items()
        if group != "SECRET"  # each secret type has its own figure
    }
    recall |= {kind: {"all": round(r, 3)} for kind, r in result["secret_recall"].items()}
    doc = {
        "source": {"by": "bench/pii_eval.py", "samples": args.samples, "seed": args.seed,
                   "date": time.strftime("%Y-%m-%d"), "ner": False},
        "recall": recall,
        "leaks": result["leaks"],
        "negatives_survived": round(result["negatives_survived"], 3),
    }  # fmt: skip
    path = Path(__file__).resolve().parents[1] / "slmconvert" / "pii" / "data" / MEASURED_FILE
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
