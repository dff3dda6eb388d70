"""The embedded job store: one SQLite file in the data directory (WAL, synchronous=FULL).

A job is one row (its record as JSON beside the columns it is looked up by); each change reads and writes it
in one ``BEGIN IMMEDIATE`` transaction, so a batch's result, its failures and the job's counts land together
or not at all.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from autbot.domain.errors import JobStoreUnavailable
from autbot.domain.jobs import (
    UNFINISHED,
    BatchResult,
    DocumentFailure,
    Job,
    JobState,
    cancelling,
    failure_from_record,
    failure_record,
    finished,
    from_record,
    started,
    to_record,
    with_batch,
)
from autbot.domain.model import HealthStatus

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, collection TEXT NOT NULL, state TEXT NOT NULL,
    created_at REAL NOT NULL, total INTEGER NOT NULL, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (owner, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (state, created_at);
CREATE TABLE IF NOT EXISTS job_batches (job_id TEXT NOT NULL, batch INTEGER NOT NULL, starts INTEGER NOT NULL,
    PRIMARY KEY (job_id, batch));
CREATE TABLE IF NOT EXISTS job_failures (job_id TEXT NOT NULL, seq INTEGER NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (job_id, seq));
"""


class SqliteJobStore:
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self._path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as e:
            raise JobStoreUnavailable(f"Could not open the job store at {self._path}: {e}") from e
        self._lock = threading.Lock()

    def create(self, job: Job) -> None:
        self._tx(lambda: self._write(job, insert=True))

    def get(self, job_id: str) -> Job | None:
        return self._tx(lambda: self._read(job_id))

    def find(self, *, owner: str | None, collection: str | None, state: JobState | None, limit: int) -> list[Job]:
        sql, args = "SELECT record FROM jobs WHERE 1=1", []
        for column, value in (("owner", owner), ("collection", collection), ("state", state)):
            if value is not None:
                sql += f" AND {column} = ?"  # nosec B608 - column names are the constants above
                args.append(str(value))
        rows = self._tx(lambda: self._db.execute(sql + " ORDER BY created_at DESC LIMIT ?", (*args, limit)).fetchall())
        return [from_record(json.loads(r[0])) for r in rows]

    def unfinished(self, owner: str | None) -> tuple[int, int]:
        sql = "SELECT COUNT(*), COALESCE(SUM(total), 0) FROM jobs WHERE state IN (?, ?)"
        args: tuple[str, ...] = tuple(s.value for s in UNFINISHED)
        if owner is not None:
            sql, args = sql + " AND owner = ?", (*args, owner)
        row = self._tx(lambda: self._db.execute(sql, args).fetchone())
        return int(row[0]), int(row[1])

    def begin_batch(self, job_id: str, batch: int, now: float) -> int:
        def run() -> int:
            self._update(job_id, lambda j: started(j, now))
            row = self._db.execute(
                "SELECT starts FROM job_batches WHERE job_id = ? AND batch = ?", (job_id, batch)
            ).fetchone()
            before = int(row[0]) if row else 0
            self._db.execute("INSERT OR REPLACE INTO job_batches VALUES (?, ?, ?)", (job_id, batch, before + 1))
            return before

        return self._tx(run)

    def record_batch(self, job_id: str, batch: int, result: BatchResult) -> Job:
        def run() -> Job:
            job = self._read(job_id)
            assert job is not None
            after = with_batch(job, batch, result)
            if after is not job:
                self._write(after)
                seq = self._db.execute("SELECT COUNT(*) FROM job_failures WHERE job_id = ?", (job_id,)).fetchone()[0]
                self._db.executemany(
                    "INSERT INTO job_failures VALUES (?, ?, ?)",
                    [(job_id, seq + i, json.dumps(failure_record(f))) for i, f in enumerate(result.failures)],
                )
            return after

        return self._tx(run)

    def swap_token(self, job_id: str, old: str, new: str) -> bool:
        def run() -> bool:
            job = self._read(job_id)
            if job is None or job.token != old:
                return False
            self._write(replace(job, token=new))
            return True

        return self._tx(run)

    def request_cancel(self, job_id: str, now: float) -> Job | None:
        return self._tx(lambda: self._update(job_id, lambda j: cancelling(j, now)))

    def finish(
        self, job_id: str, state: JobState, now: float, error: str | None = None, outcome: str | None = None
    ) -> Job | None:
        return self._tx(lambda: self._update(job_id, lambda j: finished(j, state, now, error, outcome)))

    def failures(self, job_id: str, *, offset: int, limit: int) -> tuple[list[DocumentFailure], int]:
        def run() -> tuple[list[DocumentFailure], int]:
            rows = self._db.execute(
                "SELECT record FROM job_failures WHERE job_id = ? ORDER BY seq LIMIT ? OFFSET ?",
                (job_id, limit, offset),
            ).fetchall()
            total = self._db.execute("SELECT COUNT(*) FROM job_failures WHERE job_id = ?", (job_id,)).fetchone()[0]
            return [failure_from_record(json.loads(r[0])) for r in rows], int(total)

        return self._tx(run)

    def ended_before(self, before: float, limit: int) -> list[str]:
        ended = tuple(s.value for s in JobState if s.terminal)
        rows = self._tx(
            lambda: self._db.execute(
                "SELECT record FROM jobs WHERE state IN (?, ?, ?) AND created_at < ? ORDER BY created_at LIMIT ?",
                (*ended, before, limit),
            ).fetchall()
        )
        jobs = [from_record(json.loads(r[0])) for r in rows]
        return [j.id for j in jobs if j.finished_at is not None and j.finished_at < before]

    def delete(self, job_id: str) -> None:
        def run() -> None:
            for table, column in (("job_failures", "job_id"), ("job_batches", "job_id"), ("jobs", "id")):
                self._db.execute(f"DELETE FROM {table} WHERE {column} = ?", (job_id,))  # nosec B608 - constants

        self._tx(run)

    def health(self) -> HealthStatus:
        try:
            self._tx(lambda: self._db.execute("SELECT 1").fetchone())
        except JobStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- one transaction at a time on the one connection ----------------------------------------------
    def _tx(self, run: Callable[[], T]) -> T:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    out = run()
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                return out
            except sqlite3.Error as e:
                raise JobStoreUnavailable(f"The job store failed: {e}") from e

    def _read(self, job_id: str) -> Job | None:
        row = self._db.execute("SELECT record FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return from_record(json.loads(row[0])) if row else None

    def _write(self, job: Job, *, insert: bool = False) -> None:
        verb = "INSERT" if insert else "REPLACE"
        self._db.execute(
            f"{verb} INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?)",  # nosec B608 - one of two constant verbs
            (
                job.id,
                job.owner,
                job.collection,
                job.state.value,
                job.created_at,
                job.counts.total,
                json.dumps(to_record(job)),
            ),
        )

    def _update(self, job_id: str, change: Callable[[Job], Job]) -> Job | None:
        job = self._read(job_id)
        if job is None:
            return None
        after = change(job)
        if after is not job:
            self._write(after)
        return after
