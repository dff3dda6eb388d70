"""The embedded document registry: one SQLite file (WAL, synchronous=FULL), crash-safe and cheap.

It sits beside the embedded chunk index (in the same data directory) and keeps the collection and
document records; a record is one row written in one transaction, so a reader sees it whole.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from autbot.adapters.sqlite_versions import SqliteStep, SqliteVersions, open_database, statements
from autbot.domain.errors import AutbotError, CollectionNotFound, IndexUnavailable
from autbot.domain.model import CollectionInfo, Document, HealthStatus
from autbot.use_cases.migrations import open_current

T = TypeVar("T")

MIGRATIONS = (
    SqliteStep(
        "create the collections and documents tables (if absent) and record schema version 1",
        statements(
            "CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, embedding_model TEXT NOT NULL, "
            "dimension INTEGER NOT NULL, created_at REAL NOT NULL)",
            "CREATE TABLE IF NOT EXISTS documents (collection TEXT NOT NULL, id TEXT NOT NULL, title TEXT, "
            "source TEXT, metadata TEXT NOT NULL, version TEXT NOT NULL, chunk_count INTEGER NOT NULL, "
            "embedding_model TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL, "
            "previous_version TEXT, PRIMARY KEY (collection, id))",
            "CREATE INDEX IF NOT EXISTS documents_replaced ON documents (collection, id) "
            "WHERE previous_version IS NOT NULL",
        ),
    ),
    SqliteStep(
        "create the golden_sets and evaluations tables (if absent) and record schema version 2",
        statements(
            "CREATE TABLE IF NOT EXISTS golden_sets (collection TEXT PRIMARY KEY, body TEXT NOT NULL, "
            "updated_at REAL NOT NULL)",
            "CREATE TABLE IF NOT EXISTS evaluations (collection TEXT NOT NULL, id TEXT NOT NULL, "
            "created_at REAL NOT NULL, body TEXT NOT NULL, PRIMARY KEY (collection, id))",
            "CREATE INDEX IF NOT EXISTS evaluations_by_time ON evaluations (collection, created_at)",
        ),
    ),
    SqliteStep(
        "add the live generation to collections, create the generations and sources tables, record version 3",
        statements(
            "ALTER TABLE collections ADD COLUMN generation INTEGER NOT NULL DEFAULT 0",
            "CREATE TABLE IF NOT EXISTS generations (collection TEXT NOT NULL, number INTEGER NOT NULL, "
            "body TEXT NOT NULL, PRIMARY KEY (collection, number))",
            "CREATE TABLE IF NOT EXISTS sources (collection TEXT NOT NULL, id TEXT NOT NULL, version TEXT NOT NULL, "
            "text BLOB NOT NULL, PRIMARY KEY (collection, id))",
        ),
    ),
)
"""The registry's schema steps (``domain.schema_versions``): version 0 is the 0.1.0 layout or an empty file."""
_IN_CHUNK = 500  # SQLite's host-parameter limit is far above this; it keeps statements small


def registry_versions(path: Path, *, read_only: bool = False) -> SqliteVersions:
    """The registry file's schema version on a connection of its own (``autbot migrate``)."""
    return SqliteVersions.at(path, store="registry", steps=MIGRATIONS, read_only=read_only)


class SqliteDocumentRegistry:
    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        self._path = Path(path)
        self._db = open_database(
            self._path, what="the document registry", error=IndexUnavailable, pragmas=("synchronous=FULL",)
        )
        self._lock = threading.Lock()
        open_current(SqliteVersions(self._db, store="registry", steps=MIGRATIONS, lock=self._lock), migrate=migrate)

    # --- collections -------------------------------------------------------------------------------
    def get_collection(self, name: str) -> CollectionInfo | None:
        row = self._one("SELECT name, embedding_model, dimension, generation FROM collections WHERE name = ?", (name,))
        if row is None:
            return None
        return CollectionInfo(
            name=str(row[0]), embedding_model=str(row[1]), dimension=int(str(row[2])), generation=int(str(row[3]))
        )

    def add_collection(self, info: CollectionInfo) -> CollectionInfo:
        def run() -> None:
            self._db.execute(
                "INSERT OR IGNORE INTO collections (name, embedding_model, dimension, created_at) VALUES (?, ?, ?, ?)",
                (info.name, info.embedding_model, info.dimension, time.time()),
            )

        self._call(run)
        stored = self.get_collection(info.name)
        if stored is None:  # pragma: no cover - removed between the two statements by another writer
            raise CollectionNotFound(f"Collection '{info.name}' was removed while it was being created.")
        return stored

    def list_collections(self) -> list[CollectionInfo]:
        rows = self._call(
            lambda: self._db.execute(
                "SELECT c.name, c.embedding_model, c.dimension, COUNT(d.id), c.generation FROM collections c "
                "LEFT JOIN documents d ON d.collection = c.name GROUP BY c.name ORDER BY c.name"
            ).fetchall()
        )
        return [
            CollectionInfo(
                name=str(r[0]),
                embedding_model=str(r[1]),
                dimension=int(r[2]),
                document_count=int(r[3]),
                generation=int(r[4]),
            )
            for r in rows
        ]

    def remove_collection(self, name: str) -> bool:
        def run() -> bool:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for table in ("documents", "generations", "sources"):  # constant names, every value bound
                    self._db.execute(f"DELETE FROM {table} WHERE collection = ?", (name,))  # nosec B608
                gone = self._db.execute("DELETE FROM collections WHERE name = ?", (name,)).rowcount
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return gone > 0

        return self._call(run)

    # --- documents ---------------------------------------------------------------------------------
    def put_documents(self, documents: Sequence[Document]) -> None:
        rows = [
            (
                d.collection,
                d.id,
                d.title,
                d.source,
                json.dumps(d.metadata),
                d.version,
                d.chunk_count,
                d.embedding_model,
                d.created_at,
                d.updated_at,
                d.previous_version,
            )
            for d in documents
        ]

        def run() -> None:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for name in sorted({d.collection for d in documents}):
                    if self._db.execute("SELECT 1 FROM collections WHERE name = ?", (name,)).fetchone() is None:
                        raise CollectionNotFound(f"Collection '{name}' is not recorded.", collection=name)
                self._db.executemany("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

        if rows:
            self._call(run)

    def get_documents(self, collection: str, document_ids: Sequence[str]) -> dict[str, Document]:
        ids = list(dict.fromkeys(document_ids))

        def run() -> dict[str, Document]:
            out: dict[str, Document] = {}
            for start in range(0, len(ids), _IN_CHUNK):
                part = ids[start : start + _IN_CHUNK]
                marks = ",".join("?" * len(part))
                # bandit B608: only "?" placeholders are interpolated; every value is bound.
                sql = f"SELECT * FROM documents WHERE collection = ? AND id IN ({marks})"  # nosec
                rows = self._db.execute(sql, (collection, *part)).fetchall()
                out.update((str(r[1]), _document(r)) for r in rows)
            return out

        return self._call(run) if ids else {}

    def list_documents(self, collection: str, *, offset: int, limit: int) -> tuple[list[Document], int]:
        def run() -> tuple[list[Document], int]:
            rows = self._db.execute(
                "SELECT * FROM documents WHERE collection = ? ORDER BY id LIMIT ? OFFSET ?", (collection, limit, offset)
            ).fetchall()
            total = self._db.execute("SELECT COUNT(*) FROM documents WHERE collection = ?", (collection,)).fetchone()
            return [_document(r) for r in rows], int(total[0])

        return self._call(run)

    def replaced_documents(self, collection: str, *, limit: int) -> list[Document]:
        rows = self._call(
            lambda: self._db.execute(
                "SELECT * FROM documents WHERE collection = ? AND previous_version IS NOT NULL ORDER BY id LIMIT ?",
                (collection, limit),
            ).fetchall()
        )
        return [_document(r) for r in rows]

    def forget_replaced(self, documents: Sequence[Document]) -> None:
        rows = [(d.collection, d.id, d.version, d.previous_version) for d in documents if d.previous_version]

        def run() -> None:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "UPDATE documents SET previous_version = NULL "
                    "WHERE collection = ? AND id = ? AND version = ? AND previous_version = ?",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

        if rows:
            self._call(run)

    def delete_document(self, collection: str, document_id: str) -> bool:
        return self._call(
            lambda: (
                self._db.execute(
                    "DELETE FROM documents WHERE collection = ? AND id = ?", (collection, document_id)
                ).rowcount
                > 0
            )
        )

    # --- lifecycle ---------------------------------------------------------------------------------
    def health(self) -> HealthStatus:
        try:
            self._call(lambda: self._db.execute("SELECT 1").fetchone())
        except IndexUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True, detail="sqlite registry")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _one(self, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
        row: tuple[object, ...] | None = self._call(lambda: self._db.execute(sql, params).fetchone())
        return row

    def _call(self, fn: Callable[[], T]) -> T:
        """One statement (or transaction) at a time on the shared connection; SQLite errors become
        ``IndexUnavailable``."""
        with self._lock:
            try:
                return fn()
            except AutbotError:
                raise
            except sqlite3.Error as e:
                raise IndexUnavailable(f"The document registry failed: {type(e).__name__}: {e}") from e


def _document(r: tuple[object, ...]) -> Document:
    return Document(
        collection=str(r[0]),
        id=str(r[1]),
        title=None if r[2] is None else str(r[2]),
        source=None if r[3] is None else str(r[3]),
        metadata=json.loads(str(r[4])),
        version=str(r[5]),
        chunk_count=int(str(r[6])),
        embedding_model=str(r[7]),
        created_at=float(str(r[8])),
        updated_at=float(str(r[9])),
        previous_version=None if r[10] is None else str(r[10]),
    )
