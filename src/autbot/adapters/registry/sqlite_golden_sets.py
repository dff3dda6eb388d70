"""Golden sets and evaluations in the embedded registry's SQLite file (tables of its schema version 2).

It opens the registry file on a connection of its own, through the registry's schema steps, so whichever of the
two opens the file first brings it to the current version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from autbot.adapters.golden_codec import evaluation_json, evaluation_of, golden_json, golden_of
from autbot.adapters.registry.sqlite import MIGRATIONS
from autbot.adapters.sqlite_versions import SqliteVersions, guarded, open_database
from autbot.domain.errors import IndexUnavailable
from autbot.domain.golden_sets import Evaluation, GoldenSet
from autbot.use_cases.migrations import open_current

T = TypeVar("T")


class SqliteGoldenSetStore:
    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        self._path = Path(path)
        self._db = open_database(
            self._path, what="the golden sets", error=IndexUnavailable, pragmas=("synchronous=FULL",)
        )
        self._lock = threading.Lock()
        open_current(SqliteVersions(self._db, store="registry", steps=MIGRATIONS, lock=self._lock), migrate=migrate)

    def put(self, collection: str, golden: GoldenSet) -> None:
        sql = "INSERT OR REPLACE INTO golden_sets VALUES (?, ?, ?)"
        self._call(lambda: self._db.execute(sql, (collection, golden_json(golden), golden.updated_at)))

    def get(self, collection: str) -> GoldenSet | None:
        sql = "SELECT body, updated_at FROM golden_sets WHERE collection = ?"
        row = self._call(lambda: self._db.execute(sql, (collection,)).fetchone())
        return None if row is None else golden_of(str(row[0]), float(row[1]))

    def add_evaluation(self, evaluation: Evaluation, *, keep: int) -> None:
        row = (evaluation.collection, evaluation.id, evaluation.created_at, evaluation_json(evaluation))

        def run() -> None:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT OR REPLACE INTO evaluations VALUES (?, ?, ?, ?)", row)
                self._db.execute(
                    "DELETE FROM evaluations WHERE collection = ? AND id NOT IN (SELECT id FROM evaluations "
                    "WHERE collection = ? ORDER BY created_at DESC, id DESC LIMIT ?)",
                    (evaluation.collection, evaluation.collection, max(keep, 0)),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

        self._call(run)

    def evaluations(self, collection: str, *, limit: int) -> list[Evaluation]:
        sql = (
            "SELECT id, created_at, body FROM evaluations WHERE collection = ? "
            "ORDER BY created_at DESC, id DESC LIMIT ?"
        )
        rows = self._call(lambda: self._db.execute(sql, (collection, limit)).fetchall())
        return [evaluation_of(collection, str(r[0]), float(r[1]), str(r[2])) for r in rows]

    def remove(self, collection: str) -> None:
        def run() -> None:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM golden_sets WHERE collection = ?", (collection,))
                self._db.execute("DELETE FROM evaluations WHERE collection = ?", (collection,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

        self._call(run)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _call(self, fn: Callable[[], T]) -> T:
        return guarded(self._lock, fn, error=IndexUnavailable, what="The golden set store")
