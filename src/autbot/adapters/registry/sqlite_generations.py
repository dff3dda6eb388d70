"""Generation records and source texts in the embedded registry's SQLite file (tables of its schema version 3).

It opens the registry file on a connection of its own, through the registry's schema steps. The switch of the
live generation writes the collection's row (model, dimension, live number) and the generation records in one
transaction. Source texts are kept zlib-compressed beside the document records they belong to: they are
dropped with the collection and need no store of their own.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from autbot.adapters.generation_codec import generation_json, generation_of
from autbot.adapters.registry.sqlite import MIGRATIONS
from autbot.adapters.sqlite_versions import SqliteVersions, guarded, open_database
from autbot.domain.errors import CollectionNotFound, IndexUnavailable
from autbot.domain.generations import Generation
from autbot.use_cases.migrations import open_current

T = TypeVar("T")
_IN_CHUNK = 500


class SqliteGenerationStore:
    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        self._db = open_database(
            Path(path), what="the generation records", error=IndexUnavailable, pragmas=("synchronous=FULL",)
        )
        self._lock = threading.Lock()
        open_current(SqliteVersions(self._db, store="registry", steps=MIGRATIONS, lock=self._lock), migrate=migrate)

    def generations(self, collection: str) -> list[Generation]:
        sql = "SELECT body FROM generations WHERE collection = ? ORDER BY number"
        rows = self._call(lambda: self._db.execute(sql, (collection,)).fetchall())
        return [generation_of(str(r[0])) for r in rows]

    def put_generation(self, generation: Generation) -> None:
        row = (generation.collection, generation.number, generation_json(generation))
        self._call(lambda: self._db.execute("INSERT OR REPLACE INTO generations VALUES (?, ?, ?)", row))

    def switch(self, live: Generation, others: Sequence[Generation]) -> None:
        rows = [(g.collection, g.number, generation_json(g)) for g in (live, *others)]
        pointer = (live.embedding_model, live.dimension, live.number, live.collection)

        def run() -> None:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                sql = "UPDATE collections SET embedding_model = ?, dimension = ?, generation = ? WHERE name = ?"
                if self._db.execute(sql, pointer).rowcount == 0:
                    raise CollectionNotFound(
                        f"Collection '{live.collection}' is not recorded.", collection=live.collection
                    )
                self._db.executemany("INSERT OR REPLACE INTO generations VALUES (?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

        self._call(run)

    def remove_generation(self, collection: str, number: int) -> None:
        sql = "DELETE FROM generations WHERE collection = ? AND number = ?"
        self._call(lambda: self._db.execute(sql, (collection, number)))

    def put_source(self, collection: str, document_id: str, version: str, text: str) -> None:
        row = (collection, document_id, version, zlib.compress(text.encode("utf-8"), 6))
        self._call(lambda: self._db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)", row))

    def sources(self, collection: str, document_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        ids = list(dict.fromkeys(document_ids))

        def run() -> dict[str, tuple[str, str]]:
            out: dict[str, tuple[str, str]] = {}
            for start in range(0, len(ids), _IN_CHUNK):
                part = ids[start : start + _IN_CHUNK]
                marks = ",".join("?" * len(part))
                # bandit B608: only "?" placeholders are interpolated; every value is bound.
                sql = f"SELECT id, version, text FROM sources WHERE collection = ? AND id IN ({marks})"  # nosec
                for r in self._db.execute(sql, (collection, *part)).fetchall():
                    out[str(r[0])] = (str(r[1]), zlib.decompress(bytes(r[2])).decode("utf-8"))
            return out

        return self._call(run) if ids else {}

    def remove_sources(self, collection: str, document_ids: Sequence[str] | None = None) -> None:
        if document_ids is None:
            self._call(lambda: self._db.execute("DELETE FROM sources WHERE collection = ?", (collection,)))
            return
        rows = [(collection, i) for i in document_ids]
        self._call(lambda: self._db.executemany("DELETE FROM sources WHERE collection = ? AND id = ?", rows))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _call(self, fn: Callable[[], T]) -> T:
        return guarded(self._lock, fn, error=IndexUnavailable, what="The generation store")
