"""`select`: for each task cluster, choose the small models that can take it over (paper step S4).

Per cluster, the requirements are measured from its records: context needed (p95 and max of
prompt + answer tokens), tool calling, structured output, languages, complexity. Each catalog
model is then checked against the needs and the user's hard constraints (--max-params,
--gpu-memory-gb, --licenses, --models); every rejection says why. The rest are ranked smallest
first (the specialist should be as small as the task allows), models below the size a complex
cluster suggests after the others, ties broken by context headroom and serving cost.

Noise (cluster -1) and clusters with fewer training records than --min-records stay on the LLM,
with the reason. OUT holds the input records unchanged, ``clusters.json`` copied forward, and
``selection.json``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from slmconvert import catalog as catalogs
from slmconvert.catalog.match import NOISE, Criteria, allow_list, assumptions, decide
from slmconvert.core.config import SelectConfig, plain
from slmconvert.core.errors import InputError
from slmconvert.core.records import answer_kind, call_tokens, conform
from slmconvert.core.stagedir import StageInput, StageOutput, StageResult, open_input

LANGUAGE_SHARE = 0.1  # a language seen in at least this share of prompts is required
LANGUAGE_SAMPLE = 2000  # prompts per cluster whose language is guessed (the first ones read)
COLUMNS = ["messages", "tools", "response", "usage", "cluster_id", "split"]
COMPLEXITY_FLOOR = {"simple": 0.0, "moderate": 1.0, "complex": 3.0}
_STOPWORDS = {
    "en": "the and is are of to for with my you what how please can this that it on your",
    "de": "der die das und ist nicht ich sie mit ein eine auf für wie was bitte mein meine wo",
    "fr": "le les et est une des je vous pour pas avec mon où merci dans du au est-ce",
    "es": "el los las y es una por para con mi dónde está qué gracias cómo del al",
    "it": "il lo gli e è una per che con non mio mia dove grazie sono della nel",
    "pt": "o os e é uma para com não meu minha onde obrigado você do da no na",
    "nl": "de het een en is niet ik je met voor van wat waar mijn dank hoe op",
}
_STOP = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_SCRIPTS = [
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("uk", re.compile(r"[іїєґІЇЄҐ]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
]
_NON_LATIN = re.compile(r"[^\x00-\u024f\u2000-\u206f]")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")


def detect_language(text: str) -> str:
    """A rough ISO 639-1 guess from script and stop words; ``und`` when unsure."""
    text = text[:2000]
    if _NON_LATIN.search(text):
        letters = sum(ch.isalpha() for ch in text)
        for lang, pattern in _SCRIPTS:
            if len(pattern.findall(text)) >= max(3, letters * 0.2):
                return lang
    words = Counter(w.lower() for w in _WORD.findall(text))
    hits = sorted(
        ((sum(words[w] for w in words.keys() & _STOP[lang]), lang) for lang in _STOP),
        reverse=True,
    )
    (best, lang), (second, _) = hits[0], hits[1]
    return lang if best >= 2 and best > second else "und"


def _percentile(values: list[int], q: float) -> int:
    """Nearest-rank percentile (0 for an empty list)."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


@dataclass
class ClusterStats:
    """What one cluster's records need, accumulated record by record."""

    records: int = 0
    train: int = 0
    estimated: int = 0
    prompt: list[int] = field(default_factory=list)
    answer: list[int] = field(default_factory=list)
    total: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    turns: list[int] = field(default_factory=list)
    json_answers: int = 0
    tools_offered: int = 0
    tool_results: int = 0
    tool_names: set = field(default_factory=set)
    languages: Counter = field(default_factory=Counter)

    def add(self, rec: dict) -> None:
        """Measure one record (tokens from usage, else ceil(chars / 4))."""
        messages, tools, response = rec["messages"] or [], rec["tools"] or [], rec["response"]
        prompt, answer, estimated = call_tokens(rec)
        self.estimated += estimated
        calls = (response or {}).get("tool_calls") or []
        self.records += 1
        self.train += rec["split"] != "eval"
        self.prompt.append(prompt)
        self.answer.append(answer)
        self.total.append(prompt + answer)
        self.calls.append(len(calls))
        self.turns.append(len(messages))
        self.json_answers += answer_kind(response or {}) == "json"
        self.tools_offered += bool(tools)
        self.tool_results += any(m["role"] == "tool" for m in messages)
        self.tool_names.update(c["name"] for c in calls)
        if self.records <= LANGUAGE_SAMPLE:
            user = " ".join(m["content"] or "" for m in messages if m["role"] == "user")
            self.languages[detect_language(user)] += 1

    def requirements(self) -> dict:
        """The cluster's needs, as written to selection.json."""
        n = max(self.records, 1)
        sampled = max(sum(self.languages.values()), 1)
        langs = {k: round(v / sampled, 4) for k, v in self.languages.most_common() if k != "und"}
        calls_answering = [c for c in self.calls if c]
        tool_share = len(calls_answering) / n
        req = {
            "records": self.records,
            "train_records": self.train,
            "prompt_tokens": self._spread(self.prompt),
            "answer_tokens": self._spread(self.answer),
            "context_tokens": {"p95": _percentile(self.total, 95), "max": max(self.total or [0])},
            "tokens_estimated": self.estimated > 0,
            "tokens_estimated_share": round(self.estimated / n, 4),
            "tool_calling": tool_share > 0 or self.tool_results > 0,
            "tool_call_share": round(tool_share, 4),
            "tools_offered_share": round(self.tools_offered / n, 4),
            "structured_output": self.json_answers / n >= 0.5,
            "json_answer_share": round(self.json_answers / n, 4),
            "languages": langs,
            "required_languages": [k for k, v in langs.items() if v >= LANGUAGE_SHARE],
        }
        req["complexity"] = self._complexity(req)
        return req

    @staticmethod
    def _spread(values: list[int]) -> dict:
        return {
            "p50": _percentile(values, 50),
            "p95": _percentile(values, 95),
            "max": max(values or [0]),
        }

    def _complexity(self, req: dict) -> dict:
        n = max(self.records, 1)
        signals = {
            "answer_tokens_p95": req["answer_tokens"]["p95"],
            "calls_per_answer_mean": round(sum(self.calls) / n, 3),
            "calls_per_answer_max": max(self.calls or [0]),
            "turns_per_prompt_p50": _percentile(self.turns, 50),
            "turns_per_prompt_p95": _percentile(self.turns, 95),
            "distinct_tools_called": len(self.tool_names),
        }
        complex_why = [
            text
            for hit, text in (
                (signals["answer_tokens_p95"] > 1024, "answers over 1,024 tokens (p95)"),
                (signals["calls_per_answer_mean"] > 2, "over 2 tool calls per answer"),
                (signals["turns_per_prompt_p95"] > 24, "over 24 turns per prompt (p95)"),
                (signals["distinct_tools_called"] > 20, "over 20 distinct tools"),
            )
            if hit
        ]
        moderate_why = [
            text
            for hit, text in (
                (signals["answer_tokens_p95"] > 256, "answers over 256 tokens (p95)"),
                (signals["calls_per_answer_max"] > 1, "parallel tool calls"),
                (signals["turns_per_prompt_p95"] > 8, "over 8 turns per prompt (p95)"),
                (signals["distinct_tools_called"] > 5, "over 5 distinct tools"),
            )
            if hit
        ]
        level = "complex" if complex_why else "moderate" if moderate_why else "simple"
        why = complex_why or moderate_why or ["short answers, at most one call, few turns"]
        return {
            **signals,
            "level": level,
            "suggested_min_params_b": COMPLEXITY_FLOOR[level],
            "why": why,
        }


def _clusters_doc(stage: StageInput) -> dict:
    doc = stage.read_json("clusters.json", "rerun `slmconvert cluster`")
    if not isinstance(doc.get("clusters"), list):
        path = stage.path / "clusters.json"
        raise InputError(f"{path}: field 'clusters' missing", "rerun `slmconvert cluster`")
    return doc


def _copy_and_measure(stage: StageInput, out: StageOutput) -> tuple[dict[int, ClusterStats], int]:
    """Copy every record to OUT unchanged and measure each cluster's needs on the way."""
    writer = out.records()
    stats: dict[int, ClusterStats] = {}
    unassigned = 0
    for path in stage.data_files():
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            table = pa.Table.from_batches([batch])
            table = conform(table)
            writer.write_table(table)
            for rec in table.select(COLUMNS).to_pylist():
                cid = rec["cluster_id"]
                if cid is None:
                    unassigned += 1
                    cid = NOISE
                stats.setdefault(cid, ClusterStats()).add(rec)
    return stats, unassigned


def run(
    input_dir: str | Path,
    output: str | Path,
    config: SelectConfig | None = None,
    *,
    force: bool = False,
) -> StageResult:
    """Choose small models per cluster of the cluster-stage directory ``input_dir``."""
    config = config or SelectConfig()
    stage = open_input(
        input_dir, expect=("cluster",), require_pii=True, allow_unscrubbed=config.allow_unscrubbed
    )
    doc = _clusters_doc(stage)
    cat = catalogs.load(config.catalog)
    criteria = plain(Criteria, config)
    allowed = allow_list(cat, criteria)
    labels = {c.get("id"): c.get("label") for c in doc["clusters"] if isinstance(c, dict)}
    inputs = [
        stage.as_input_entry(),
        {"path": cat.path, "sha256": cat.sha256, "role": "catalog"},
    ]
    with StageOutput(
        output,
        "select",
        config.model_dump(mode="json"),
        inputs=inputs,
        lineage=stage.lineage,
        force=force,
        seed=config.seed,
    ) as out:
        stats, unassigned = _copy_and_measure(stage, out)
        if not stats:
            raise InputError(f"{stage.path}: no records")
        ids = sorted(set(stats) | {c for c in labels if isinstance(c, int)}, key=_id_order)
        entries = []
        for cid in ids:
            req = stats.get(cid, ClusterStats()).requirements()
            entries.append(decide(cid, labels.get(cid), req, cat, criteria, allowed))
        selection = {
            "catalog": {"path": cat.path, "sha256": cat.sha256, "models": len(cat.models)},
            "assumptions": assumptions(cat),
            "constraints": config.model_dump(mode="json", exclude={"seed", "allow_unscrubbed"}),
            "clusters": entries,
        }
        (out.path / "selection.json").write_bytes(
            orjson.dumps(selection, option=orjson.OPT_INDENT_2)
        )
        out.copy_forward(stage, ("clusters.json", "centroids.npy", "router"), records=False)
        _tally(out, entries, stats, unassigned, config.train_seq_len)
    return StageResult(out.out, out.manifest)


def _id_order(cid: int) -> tuple:
    return (cid == NOISE, cid)


def _tally(
    out: StageOutput, entries: list[dict], stats: dict, unassigned: int, train_seq_len: int
) -> None:
    real = [e for e in entries if e["id"] != NOISE]
    chosen = [e for e in real if e["decision"] == "specialise"]
    records = sum(s.records for s in stats.values())
    covered = sum(e["requirements"]["records"] for e in chosen)
    out.counts = {
        "records": records,
        "clusters": len(real),
        "clusters_with_candidates": len(chosen),
        "stays_on_llm": len(real) - len(chosen),
        "noise_records": stats[NOISE].records if NOISE in stats else 0,
    }
    out.metrics = {"share_of_records_specialisable": round(covered / records, 4)}
    if unassigned:
        out.warnings.append(f"{unassigned} records have no cluster_id; treated as noise")
    if any(e["requirements"]["tokens_estimated"] for e in entries):
        out.warnings.append("some token counts are estimated as ceil(characters / 4)")
    long = [e["id"] for e in chosen if e["requirements"]["context_tokens"]["p95"] > train_seq_len]
    if long:
        out.warnings.append(
            f"clusters {', '.join(map(str, long))}: p95 length exceeds --train-seq-len "
            f"{train_seq_len:,}; finetune drops or cuts the longer examples (--max-seq-len, "
            "--overflow)"
        )
