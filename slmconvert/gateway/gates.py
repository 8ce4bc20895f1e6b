"""Live gates: advance, keep collecting, pause or roll back a cluster on the evidence of its step.

In the spirit of Argo Rollouts' analysis, a check runs each time a step has gathered another
``min_samples`` scored calls (shadow copies and audited calls compared with the LLM):

- **advance** when the Wilson 95 % lower bound of agreement reaches the gate and the invalid
  rate (every SLM answer of the step) is within its limit;
- **inconclusive** when the point estimate passes but the bound does not yet: keep collecting,
  up to ``max_checks`` checks of the step, then **pause**;
- **fail** otherwise; ``failure_limit`` failed checks in a row **roll back** to the LLM.
"""

from __future__ import annotations

from dataclasses import dataclass

from slmconvert.evaluation.stats import wilson_lower
from slmconvert.gateway.state import DONE, PAUSED, ROLLED_BACK, RUNNING, ClusterState, RolloutState


@dataclass(frozen=True)
class Step:
    """One step of a cluster's schedule."""

    name: str
    percent: int
    min_samples: int
    max_invalid_rate: float


@dataclass(frozen=True)
class Gate:
    """A cluster's schedule and the rules its checks follow."""

    steps: tuple[Step, ...]
    threshold: float
    max_checks: int = 3
    failure_limit: int = 2


def numbers(state: ClusterState) -> dict:
    """What a check is decided on, as an event records it."""
    return {
        "scored": state.scored,
        "agreed": state.agreed,
        "agreement": round(state.agreed / state.scored, 4) if state.scored else None,
        "wilson_low": round(wilson_lower(state.agreed, state.scored), 4) if state.scored else None,
        "answered": state.answered,
        "invalid": state.invalid,
        "invalid_rate": round(state.invalid / state.answered, 4) if state.answered else 0.0,
        "fallbacks": state.fallbacks,
        "fallback_rate": round(state.fallbacks / state.answered, 4) if state.answered else 0.0,
    }


def check(store: RolloutState, state: ClusterState, gate: Gate) -> ClusterState:
    """Run the step's check when it is due; returns the (possibly moved) state."""
    if state.status not in (RUNNING, DONE) or state.step < 0:
        return state  # paused or rolled back: only an operator moves it
    step = gate.steps[state.step]
    if state.scored - state.checked < step.min_samples:
        return state
    seen = numbers(state)
    invalid_ok = seen["invalid_rate"] <= step.max_invalid_rate
    if seen["wilson_low"] >= gate.threshold and invalid_ok:
        if state.step == len(gate.steps) - 1:  # the last step: keep watching
            store.mark_checked(state.id, state.scored, 0)
            if state.status == DONE:
                return store.get(state.id)
            return store.move(state.id, "advance", state.step, DONE,
                              f"{step.name} passed its check: stays at {step.percent} %", seen)  # fmt: skip
        nxt = gate.steps[state.step + 1]
        reason = (f"agreement bound {seen['wilson_low']} >= {gate.threshold}, invalid rate "
                  f"{seen['invalid_rate']} <= {step.max_invalid_rate}: {step.name} → {nxt.name}")  # fmt: skip
        return store.move(state.id, "advance", state.step + 1, RUNNING, reason, seen,
                          failed_checks=0)  # fmt: skip
    if seen["agreement"] >= gate.threshold and invalid_ok:
        if state.scored >= gate.max_checks * step.min_samples:
            reason = f"still inconclusive after {gate.max_checks} checks of {step.name}"
            return store.move(state.id, "pause", state.step, PAUSED, reason, seen)
        store.mark_checked(state.id, state.scored, state.failed_checks)
        store.move(state.id, "inconclusive", state.step, state.status,
                   f"agreement passes but its bound {seen['wilson_low']} does not yet", seen)  # fmt: skip
        return store.get(state.id)
    failed = state.failed_checks + 1
    why = (f"agreement bound {seen['wilson_low']} < {gate.threshold}" if invalid_ok
           else f"invalid rate {seen['invalid_rate']} > {step.max_invalid_rate}")  # fmt: skip
    if failed >= gate.failure_limit:
        return store.move(state.id, "rollback", -1, ROLLED_BACK,
                          f"{failed} failed checks in a row ({why}): back to the LLM", seen,
                          failed_checks=failed)  # fmt: skip
    store.mark_checked(state.id, state.scored, failed)
    store.move(state.id, "fail", state.step, state.status, f"check failed: {why}", seen)
    return store.get(state.id)
