"""Self-consistent action generation: pick one answer out of several samples by majority."""

from __future__ import annotations

from collections.abc import Sequence

from slmconvert.evaluation.answers import Answer
from slmconvert.evaluation.matching import calls_key, normalise


def outcome(answer: Answer) -> tuple:
    """What an answer does, for grouping: its normalised calls (in any order) or its text."""
    if answer.kind == "tool_calls":
        return ("tool_calls", calls_key(answer.calls))
    return ("text", normalise(answer.text))


def vote(answers: Sequence[Answer]) -> Answer:
    """The SCG choice among samples: drop invalid ones, group the rest by outcome and return the
    first member of the largest group (ties go to the group seen first, so when all differ the
    first valid sample wins); with no valid sample, the first sample."""
    if not answers:
        raise ValueError("vote needs at least one answer")
    groups: dict[tuple, list[Answer]] = {}
    for answer in answers:
        if answer.valid:
            groups.setdefault(outcome(answer), []).append(answer)
    if not groups:
        return answers[0]
    return max(groups.values(), key=len)[0]
