"""Audit records in a SQLite file under the data directory (``audit.sqlite3``): the embedded default.

Append-only: the adapter inserts and, for retention, deletes records older than a cutoff; nothing else
changes a row. The file is created owner-only, its schema versioned like every AutBot SQLite file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from autbot.adapters.sqlite_versions import SqliteStep, SqliteVersions, guarded, open_database, statements
from autbot.domain.audit import AuditAction, AuditPage, AuditQuery, AuditRecord
from autbot.domain.errors import AuditLogUnavailable
from autbot.domain.model import HealthStatus
from autbot.use_cases.migrations import open_current

T = TypeVar("T")

MIGRATIONS = (
    SqliteStep(
        "create the audit_records table and its indexes (schema version 1)",
        statements(
            "CREATE TABLE IF NOT EXISTS audit_records (seq INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, "
            "actor TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, collection TEXT, "
            "document_ids TEXT NOT NULL, target TEXT, request_id TEXT, client TEXT, issuer TEXT)",
            "CREATE INDEX IF NOT EXISTS audit_by_time ON audit_records (time, seq)",
            "CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_records (actor, time)",
            "CREATE INDEX IF NOT EXISTS audit_by_action ON audit_records (action, time)",
            "CREATE INDEX IF NOT EXISTS audit_by_collection ON audit_records (collection, time)",
        ),
    ),
)
"""The audit file's schema steps (``domain.schema_versions``): version 0 is an empty file."""
_COLUMNS = "time, actor, action, outcome, collection, document_ids, target, request_id, client, issuer"


def audit_file_versions(path: Path, *, read_only: bool = False) -> SqliteVersions:
    """The audit file's schema version on a connection of its own (``autbot migrate``)."""
    return SqliteVersions.at(path, store="audit", steps=MIGRATIONS, read_only=read_only)


class SqliteAuditLog:
    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        self._path = Path(path)
        self._db = open_database(self._path, what="the audit log", error=AuditLogUnavailable, private=True)
        self._lock = threading.Lock()
        open_current(SqliteVersions(self._db, store="audit", steps=MIGRATIONS, lock=self._lock), migrate=migrate)

    def append(self, record: AuditRecord) -> None:
        row = (
            record.time,
            record.actor,
            record.action.value,
            record.outcome,
            record.collection,
            json.dumps(list(record.document_ids)),
            record.target,
            record.request_id,
            record.client,
            record.issuer,
        )
        sql = f"INSERT INTO audit_records ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # nosec B608 - constant
        self._call(lambda: self._db.execute(sql, row))

    def query(self, query: AuditQuery) -> AuditPage:
        where, params = _where(query)
        count_sql = f"SELECT COUNT(*) FROM audit_records{where}"  # nosec B608 - where: fixed clauses, ? values
        order = " ORDER BY time DESC, seq DESC LIMIT ? OFFSET ?"
        page_sql = f"SELECT {_COLUMNS} FROM audit_records{where}{order}"  # nosec B608 - fixed clauses, ? values

        def run() -> AuditPage:
            total = int(self._db.execute(count_sql, params).fetchone()[0])
            rows = self._db.execute(page_sql, (*params, query.limit, query.offset)).fetchall()
            return AuditPage(records=[_record(r) for r in rows], total=total)

        return self._call(run)

    def prune(self, before: float) -> int:
        return self._call(lambda: self._db.execute("DELETE FROM audit_records WHERE time < ?", (before,)).rowcount)

    def health(self) -> HealthStatus:
        try:
            self._call(lambda: self._db.execute("SELECT 1").fetchone())
        except AuditLogUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True, detail="sqlite audit log")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _call(self, fn: Callable[[], T]) -> T:
        return guarded(self._lock, fn, error=AuditLogUnavailable, what="The audit log")


def _where(q: AuditQuery) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("action", q.action), ("actor", q.actor), ("collection", q.collection)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(str(value))
    if q.since is not None:
        clauses.append("time >= ?")
        params.append(q.since)
    if q.until is not None:
        clauses.append("time < ?")
        params.append(q.until)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _record(r: tuple[Any, ...]) -> AuditRecord:
    return AuditRecord(
        time=float(r[0]),
        actor=str(r[1]),
        action=AuditAction(r[2]),
        outcome=str(r[3]),
        collection=r[4],
        document_ids=tuple(json.loads(r[5])),
        target=r[6],
        request_id=r[7],
        client=r[8],
        issuer=r[9],
    )
