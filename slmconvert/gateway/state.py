"""The rollout's live state: which step each cluster is at, what it has seen, every transition.

One SQLite database (WAL journal, synchronous FULL) shared by the gateway and `slmconvert
rollout`: a transition is committed before it is acknowledged, so `kill -9` loses none and a
restart resumes at the same step. Counters of the current step are written with each scored
call; gate checks run at fixed sample counts (every ``min_samples`` scored calls), never after
every call, which would inflate false promotions.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from slmconvert.core.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS clusters (
    id INTEGER PRIMARY KEY,
    step INTEGER NOT NULL,          -- index into the schedule; -1 = rolled back to the LLM
    status TEXT NOT NULL,           -- running | paused | rolled_back | done
    scored INTEGER NOT NULL DEFAULT 0,   -- shadow and audited calls compared with the LLM
    agreed INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0, -- SLM answers (every arm)
    invalid INTEGER NOT NULL DEFAULT 0,
    fallbacks INTEGER NOT NULL DEFAULT 0,
    checked INTEGER NOT NULL DEFAULT 0,  -- scored count at the last gate check
    failed_checks INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    cluster INTEGER NOT NULL,
    kind TEXT NOT NULL,             -- advance | inconclusive | fail | pause | resume | rollback | start
    from_step INTEGER,
    to_step INTEGER,
    reason TEXT NOT NULL,
    numbers TEXT NOT NULL
);
"""
RUNNING, PAUSED, ROLLED_BACK, DONE = "running", "paused", "rolled_back", "done"


@dataclass(frozen=True)
class ClusterState:
    """One cluster's row."""

    id: int
    step: int
    status: str
    scored: int
    agreed: int
    answered: int
    invalid: int
    fallbacks: int
    checked: int
    failed_checks: int
    updated: float


class RolloutState:
    """The state database of one deployment."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError:
            raise InputError(f"{self.path}: not a rollout state database") from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self):
        """One atomic write: committed (and synced) on exit, rolled back on error."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def ensure(self, cluster_ids: list[int]) -> None:
        """Start every cluster not yet known at its first step (shadow)."""
        with self.transaction() as db:
            for cid in cluster_ids:
                if db.execute("SELECT 1 FROM clusters WHERE id=?", (cid,)).fetchone() is None:
                    db.execute(
                        "INSERT INTO clusters (id, step, status, updated) VALUES (?, 0, ?, ?)",
                        (cid, RUNNING, time.time()),
                    )
                    _event(db, cid, "start", None, 0, "first step of the schedule", {})

    def get(self, cid: int) -> ClusterState | None:
        row = self.db.execute(
            "SELECT id, step, status, scored, agreed, answered, invalid, fallbacks, checked, "
            "failed_checks, updated FROM clusters WHERE id=?",
            (cid,),
        ).fetchone()
        return ClusterState(*row) if row else None

    def all(self) -> list[ClusterState]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM clusters ORDER BY id")]
        return [self.get(cid) for cid in ids]

    def events(self, cid: int | None = None) -> list[dict]:
        query = "SELECT seq, at, cluster, kind, from_step, to_step, reason, numbers FROM events"
        rows = self.db.execute(
            query + (" WHERE cluster=? ORDER BY seq" if cid is not None else " ORDER BY seq"),
            (cid,) if cid is not None else (),
        ).fetchall()
        keys = ("seq", "at", "cluster", "kind", "from_step", "to_step", "reason")
        return [dict(zip(keys, r[:7], strict=True)) | {"numbers": orjson.loads(r[7])} for r in rows]

    def count(self, cid: int, *, scored: bool = False, agreed: bool = False,
              answered: bool = False, invalid: bool = False, fallback: bool = False) -> ClusterState:  # fmt: skip
        """Add one call's outcome to the current step's counters; returns the new row."""
        with self.transaction() as db:
            db.execute(
                "UPDATE clusters SET scored=scored+?, agreed=agreed+?, answered=answered+?, "
                "invalid=invalid+?, fallbacks=fallbacks+?, updated=? WHERE id=?",
                (int(scored), int(agreed), int(answered), int(invalid), int(fallback),
                 time.time(), cid),
            )  # fmt: skip
        return self.get(cid)

    def move(self, cid: int, kind: str, to_step: int, status: str, reason: str,
             numbers: dict, *, failed_checks: int | None = None) -> ClusterState:  # fmt: skip
        """A transition: new step and status, counters reset on a new step, and its event."""
        with self.transaction() as db:
            before = db.execute("SELECT step FROM clusters WHERE id=?", (cid,)).fetchone()
            if before is None:
                raise InputError(f"cluster {cid}: not in this rollout")
            reset = to_step != before[0]
            db.execute(
                "UPDATE clusters SET step=?, status=?, updated=?"
                + (", scored=0, agreed=0, answered=0, invalid=0, fallbacks=0, checked=0" if reset else "")
                + (", failed_checks=?" if failed_checks is not None else "")
                + " WHERE id=?",
                (to_step, status, time.time(),
                 *(() if failed_checks is None else (failed_checks,)), cid),
            )  # fmt: skip
            _event(db, cid, kind, before[0], to_step, reason, numbers)
        return self.get(cid)

    def mark_checked(self, cid: int, scored: int, failed_checks: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE clusters SET checked=?, failed_checks=? WHERE id=?",
                (scored, failed_checks, cid),
            )


def _event(db, cid: int, kind: str, from_step, to_step, reason: str, numbers: dict) -> None:
    db.execute(
        "INSERT INTO events (at, cluster, kind, from_step, to_step, reason, numbers) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (time.time(), cid, kind, from_step, to_step, reason, orjson.dumps(numbers).decode()),
    )
