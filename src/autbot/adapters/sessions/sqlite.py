"""Sessions in a SQLite file under the data directory: the embedded default.

Two tables: sessions (one row each) and their messages (one JSON row each, in order). Expired sessions
are invisible at once and deleted when the next session is created. The file is owner-only.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from autbot.adapters.sessions.codec import dump_message, load_message
from autbot.adapters.sqlite_versions import SqliteStep, SqliteVersions, open_database, statements
from autbot.domain import limits
from autbot.domain.errors import SessionStoreUnavailable
from autbot.domain.model import HealthStatus
from autbot.domain.sessions import Session, SessionMessage
from autbot.use_cases.migrations import open_current

T = TypeVar("T")

MIGRATIONS = (
    SqliteStep(
        "create the sessions and session_messages tables (if absent) and record schema version 1",
        statements(
            "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, owner TEXT NOT NULL, collection TEXT NOT NULL, "
            "title TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL)",
            "CREATE INDEX IF NOT EXISTS sessions_by_owner ON sessions (owner, updated_at)",
            "CREATE INDEX IF NOT EXISTS sessions_by_age ON sessions (updated_at)",
            "CREATE TABLE IF NOT EXISTS session_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, body TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS messages_by_session ON session_messages (session_id, seq)",
        ),
    ),
)
"""The session file's schema steps (``domain.schema_versions``): version 0 is the 0.1.0 layout or an empty file."""


def session_file_versions(path: Path, *, read_only: bool = False) -> SqliteVersions:
    """The session file's schema version on a connection of its own (``autbot migrate``)."""
    return SqliteVersions.at(path, store="sessions", steps=MIGRATIONS, read_only=read_only)


class SqliteSessionStore:
    def __init__(
        self,
        path: str | Path,
        *,
        ttl_s: float = limits.SESSION_TTL_S,
        max_messages: int = limits.SESSION_MAX_MESSAGES,
        clock: Callable[[], float] = time.time,
        migrate: bool = True,
    ) -> None:
        self._path = Path(path)
        self._ttl_s = ttl_s
        self._max = max_messages
        self._clock = clock
        self._lock = threading.Lock()
        self._db = open_database(
            self._path,
            what="the session store",
            error=SessionStoreUnavailable,
            private=True,
            pragmas=("foreign_keys=ON",),
        )
        open_current(SqliteVersions(self._db, store="sessions", steps=MIGRATIONS, lock=self._lock), migrate=migrate)

    def _oldest_live(self) -> float:
        return self._clock() - self._ttl_s

    def create(self, session: Session, *, max_live: int | None = None) -> bool:
        row = (session.id, session.owner, session.collection, session.title, session.created_at, session.updated_at)

        def run() -> bool:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM sessions WHERE updated_at <= ?", (self._oldest_live(),))
                if max_live is not None and self._kept(session.owner) >= max_live:
                    self._db.execute("ROLLBACK")
                    return False
                self._db.execute(
                    "INSERT INTO sessions (id, owner, collection, title, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return True

        return self._call(run)

    def _kept(self, owner: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM sessions WHERE owner = ?", (owner,)).fetchone()
        return int(row[0])

    def get(self, session_id: str) -> Session | None:
        def run() -> Session | None:
            row = self._db.execute(
                "SELECT id, owner, collection, title, created_at, updated_at FROM sessions "
                "WHERE id = ? AND updated_at > ?",
                (session_id, self._oldest_live()),
            ).fetchone()
            if row is None:
                return None
            bodies = self._db.execute(
                "SELECT body FROM session_messages WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
            messages = tuple(load_message(b[0]) for b in bodies)
            return _session(row, len(messages), messages)

        return self._call(run)

    def list(self, owner: str, *, limit: int) -> list[Session]:
        rows = self._call(
            lambda: self._db.execute(
                "SELECT id, owner, collection, title, created_at, updated_at, "
                "(SELECT COUNT(*) FROM session_messages m WHERE m.session_id = s.id) "
                "FROM sessions s WHERE owner = ? AND updated_at > ? ORDER BY updated_at DESC, created_at DESC LIMIT ?",
                (owner, self._oldest_live(), limit),
            ).fetchall()
        )
        return [_session(r[:6], int(r[6])) for r in rows]

    def append(self, session_id: str, messages: Sequence[SessionMessage], *, now: float) -> bool:
        bodies = [(session_id, dump_message(m)) for m in messages]

        def run() -> bool:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                updated = self._db.execute(
                    "UPDATE sessions SET updated_at = ? WHERE id = ? AND updated_at > ?",
                    (now, session_id, self._oldest_live()),
                ).rowcount
                if updated:
                    self._db.executemany("INSERT INTO session_messages (session_id, body) VALUES (?, ?)", bodies)
                    self._db.execute(
                        "DELETE FROM session_messages WHERE session_id = ? AND seq <= (SELECT seq FROM "
                        "session_messages WHERE session_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                        (session_id, session_id, self._max),
                    )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return updated > 0

        return self._call(run)

    def transfer(self, owner: str, new_owner: str, *, created_from: float, created_until: float | None) -> int:
        until = math.inf if created_until is None else created_until
        return self._call(
            lambda: (
                self._db.execute(
                    "UPDATE sessions SET owner = ? WHERE owner = ? AND created_at >= ? AND created_at < ? "
                    "AND updated_at > ?",
                    (new_owner, owner, created_from, until, self._oldest_live()),
                ).rowcount
            )
        )

    def delete(self, session_id: str) -> bool:
        return self._call(lambda: self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0)

    def health(self) -> HealthStatus:
        try:
            self._call(lambda: self._db.execute("SELECT 1").fetchone())
        except SessionStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True, detail="sqlite sessions")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _call(self, fn: Callable[[], T]) -> T:
        with self._lock:
            try:
                return fn()
            except sqlite3.Error as e:
                raise SessionStoreUnavailable(f"The session store failed: {type(e).__name__}: {e}") from e


def _session(row: tuple[object, ...], count: int, messages: tuple[SessionMessage, ...] = ()) -> Session:
    return Session(
        id=str(row[0]),
        owner=str(row[1]),
        collection=str(row[2]),
        title=None if row[3] is None else str(row[3]),
        created_at=float(str(row[4])),
        updated_at=float(str(row[5])),
        messages=messages,
        message_count=count,
    )
