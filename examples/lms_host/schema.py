"""The host's own schema: clients and their learners, one mutable row per learner.

This is how many LMSs keep users: ``activated_on`` and ``deactivated_on``
are overwritten in place, and ``updated_at`` says when the row last changed.
The host has no history of its own; seatledger keeps it (pattern a) or reads
the current rows (pattern b).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'Europe/Amsterdam'
);
CREATE TABLE IF NOT EXISTS learners (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    name TEXT NOT NULL,
    activated_on TEXT NOT NULL,
    deactivated_on TEXT,
    is_student INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS learners_by_client ON learners (client_id);
"""


@dataclass(frozen=True)
class Learner:
    """One row of ``learners``."""

    id: int
    client_id: str
    name: str
    activated_on: date
    deactivated_on: date | None
    is_student: bool
    updated_at: datetime


class LearnerHooks(Protocol):
    """What the host tells the outside world when its admins change learners."""

    def on_client_added(self, client_id: str, name: str, timezone: str) -> None: ...

    def on_learner_activated(self, learner: Learner, *, actor: str) -> None: ...

    def on_learner_deactivated(self, learner: Learner, *, actor: str) -> None: ...


def seat_of(learner_id: int) -> str:
    """The seat id a learner is billed under in seatledger."""
    return f"learner-{learner_id}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def learner_of(row: sqlite3.Row) -> Learner:
    return Learner(
        id=int(row["id"]),
        client_id=str(row["client_id"]),
        name=str(row["name"]),
        activated_on=date.fromisoformat(row["activated_on"]),
        deactivated_on=(
            date.fromisoformat(row["deactivated_on"]) if row["deactivated_on"] else None
        ),
        is_student=bool(row["is_student"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def connect_lms(path: Path | str, *, read_only: bool = False) -> sqlite3.Connection:
    uri = f"file:{Path(path)}?mode=ro" if read_only else f"file:{Path(path)}"
    conn = sqlite3.connect(uri, uri=True)
    conn.row_factory = sqlite3.Row
    return conn


class LmsDatabase:
    """The host's database and its admin operations.

    With ``hooks``, each change is announced inside the host's own
    transaction: if the hook refuses (raises), the host's change is rolled
    back too, so the two never disagree about a refused change.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        hooks: LearnerHooks | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.path = Path(path)
        self.hooks = hooks
        self.now = now
        with closing(connect_lms(self.path)) as conn, conn:
            conn.executescript(SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with closing(connect_lms(self.path)) as conn, conn:
            yield conn

    def add_client(self, client_id: str, name: str, timezone: str = "Europe/Amsterdam") -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO clients (id, name, timezone) VALUES (?, ?, ?)",
                (client_id, name, timezone),
            )
            if self.hooks is not None:
                self.hooks.on_client_added(client_id, name, timezone)

    def activate_learner(
        self, client_id: str, name: str, on: date, *, is_student: bool = False, actor: str
    ) -> Learner:
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO learners (client_id, name, activated_on, is_student, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (client_id, name, on.isoformat(), int(is_student), self.now().isoformat()),
            )
            learner = self._get(conn, int(cursor.lastrowid or 0))
            if self.hooks is not None:
                self.hooks.on_learner_activated(learner, actor=actor)
            return learner

    def deactivate_learner(self, learner_id: int, on: date, *, actor: str) -> Learner:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE learners SET deactivated_on = ?, updated_at = ? WHERE id = ?",
                (on.isoformat(), self.now().isoformat(), learner_id),
            )
            learner = self._get(conn, learner_id)
            if self.hooks is not None:
                self.hooks.on_learner_deactivated(learner, actor=actor)
            return learner

    def learners(self, client_id: str | None = None) -> list[Learner]:
        with closing(connect_lms(self.path, read_only=True)) as conn:
            if client_id is None:
                rows = conn.execute("SELECT * FROM learners ORDER BY id").fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM learners WHERE client_id = ? ORDER BY id", (client_id,)
                ).fetchall()
            return [learner_of(row) for row in rows]

    def active_on(self, client_id: str, day: date) -> list[Learner]:
        """The host's own answer: learners active on ``day`` (half-open, as seatledger counts)."""
        return [
            learner
            for learner in self.learners(client_id)
            if learner.activated_on <= day
            and (learner.deactivated_on is None or day < learner.deactivated_on)
        ]

    @staticmethod
    def _get(conn: sqlite3.Connection, learner_id: int) -> Learner:
        row = conn.execute("SELECT * FROM learners WHERE id = ?", (learner_id,)).fetchone()
        if row is None:
            raise KeyError(f"no learner {learner_id}")
        return learner_of(row)
