"""Scoring for `slmconvert eval`: parse model output, compare it with the LLM's logged answer,
vote over samples, and aggregate into the METRICS of ``eval.json``. Pure Python, no model calls.

    from slmconvert import evaluation as ev

    fmt = ev.parser_for(candidate["tool_format"])          # "hermes", "llama3", ...
    pred = ev.parse(generated_text, fmt)                   # Answer
    ref = ev.reference_answer(record["response"])          # Answer
    metrics = ev.score([(pred, ref)], [record["tools"]], similarity, threshold=0.8)
"""

from slmconvert.evaluation.answers import Answer, Call, reference_answer
from slmconvert.evaluation.matching import (
    arguments_exact,
    call_match,
    calls_exact,
    names_match,
    normalise,
    schema_valid,
)
from slmconvert.evaluation.scoring import score
from slmconvert.evaluation.stats import mean, percentiles, rate, wilson_lower
from slmconvert.evaluation.textmetrics import rouge_l
from slmconvert.evaluation.toolcalls import PARSERS, get, parse, parser_for, register
from slmconvert.evaluation.voting import vote

__all__ = [
    "PARSERS",
    "Answer",
    "Call",
    "arguments_exact",
    "call_match",
    "calls_exact",
    "get",
    "mean",
    "names_match",
    "normalise",
    "parse",
    "parser_for",
    "percentiles",
    "rate",
    "reference_answer",
    "register",
    "rouge_l",
    "schema_valid",
    "score",
    "vote",
    "wilson_lower",
]
