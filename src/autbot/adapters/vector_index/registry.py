"""A crash-safe SQLite registry of collections and documents, for single-process stores."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from autbot.domain.model import Document

_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY, embedding_model TEXT NOT NULL, dimension INTEGER NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL, id TEXT NOT NULL, title TEXT, source TEXT, metadata TEXT NOT NULL,
    version TEXT NOT NULL, chunk_count INTEGER NOT NULL, embedding_model TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, previous_version TEXT, PRIMARY KEY (collection, id)
);
"""


class SqliteRegistry:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def collection(self, name: str) -> tuple[str, int] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT embedding_model, dimension FROM collections WHERE name = ?", (name,)
            ).fetchone()
        return (str(row[0]), int(row[1])) if row else None

    def add_collection(self, name: str, model: str, dimension: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO collections VALUES (?, ?, ?, ?)", (name, model, dimension, time.time())
            )

    def collections(self) -> list[tuple[str, str, int, int]]:
        """(name, model, dimension, document count) for every collection."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.name, c.embedding_model, c.dimension, COUNT(d.id) FROM collections c "
                "LEFT JOIN documents d ON d.collection = c.name GROUP BY c.name ORDER BY c.name"
            ).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]

    def drop_collection(self, name: str) -> bool:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM documents WHERE collection = ?", (name,))
            gone = self._db.execute("DELETE FROM collections WHERE name = ?", (name,)).rowcount
            self._db.execute("COMMIT")
        return gone > 0

    def put(self, docs: Sequence[Document]) -> None:
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
            for d in docs
        ]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, collection: str, ids: Sequence[str]) -> dict[str, Document]:
        out: dict[str, Document] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT * FROM documents WHERE collection = ? AND id IN ({marks})", (collection, *part)
                ).fetchall()
            out.update((str(r[1]), _doc(r)) for r in rows)
        return out

    def page(self, collection: str, offset: int, limit: int) -> tuple[list[Document], int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM documents WHERE collection = ? ORDER BY id LIMIT ? OFFSET ?", (collection, limit, offset)
            ).fetchall()
            total = self._db.execute("SELECT COUNT(*) FROM documents WHERE collection = ?", (collection,)).fetchone()
        return [_doc(r) for r in rows], int(total[0])

    def delete(self, collection: str, doc_id: str) -> bool:
        with self._lock:
            n = self._db.execute("DELETE FROM documents WHERE collection = ? AND id = ?", (collection, doc_id)).rowcount
        return n > 0

    def ping(self) -> None:
        with self._lock:
            self._db.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _doc(r: tuple[object, ...]) -> Document:
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
