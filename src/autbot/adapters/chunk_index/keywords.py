"""The embedded store's keyword index: SQLite FTS5 with BM25 ranking, beside the Chroma vectors.

One table of chunks per collection (``"kw:<name>"``) and an external-content FTS5 index over its text
(``"kw:<name>:fts"``, Porter stemming, kept in sync by triggers), so BM25 term statistics are per
collection. ``ChromaChunkIndex`` maintains it on every upsert, delete and drop.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autbot.adapters.sqlite_versions import SqliteStep, SqliteVersions, statements
from autbot.domain.access import RESTRICTED_KEY, AccessFilter
from autbot.domain.model import Chunk, MetadataFilter, MetadataValue, SearchHit
from autbot.use_cases.migrations import open_current

_WORD = re.compile(r"\w+", re.UNICODE)


def match_expression(text: str) -> str:
    """The query's words as an FTS5 ``OR`` of quoted terms (no operator can be injected)."""
    words = dict.fromkeys(w.lower() for w in _WORD.findall(text))
    return " OR ".join(f'"{w}"' for w in words)


# Identifiers are derived from validated collection names and double-quoted (``_quoted``); no value a client
# sends is ever formatted into SQL (values are bound with ``?``).
_SCHEMA = """
                BEGIN;
                CREATE TABLE IF NOT EXISTS {t} (
                    rowid INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL,
                    document_version TEXT NOT NULL, position INTEGER NOT NULL, metadata TEXT NOT NULL,
                    text TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS {doc} ON {t} (document_id);
                CREATE VIRTUAL TABLE IF NOT EXISTS {f} USING fts5(
                    text, content={content}, content_rowid='rowid',
                    tokenize='porter unicode61 remove_diacritics 2');
                CREATE TRIGGER IF NOT EXISTS {ai} AFTER INSERT ON {t} BEGIN
                    INSERT INTO {f}(rowid, text) VALUES (new.rowid, new.text); END;
                CREATE TRIGGER IF NOT EXISTS {ad} AFTER DELETE ON {t} BEGIN
                    INSERT INTO {f}({f}, rowid, text) VALUES ('delete', old.rowid, old.text); END;
                CREATE TRIGGER IF NOT EXISTS {au} AFTER UPDATE ON {t} BEGIN
                    INSERT INTO {f}({f}, rowid, text) VALUES ('delete', old.rowid, old.text);
                    INSERT INTO {f}(rowid, text) VALUES (new.rowid, new.text); END;
                COMMIT;
                """


MIGRATIONS = (
    SqliteStep(
        "record schema version 1: per collection a 'kw:<name>' chunk table and its FTS5 index 'kw:<name>:fts'",
        statements(),
    ),
)
"""The keyword index's schema steps (``domain.schema_versions``): version 0 is the 0.1.0 layout or an empty file."""


def keyword_index_versions(path: Path, *, read_only: bool = False) -> SqliteVersions:
    """The keyword index file's schema version on a connection of its own (``autbot migrate``)."""
    return SqliteVersions.at(path, store="keywords", steps=MIGRATIONS, read_only=read_only)


class SqliteKeywordIndex:
    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._lock = threading.Lock()
        open_current(SqliteVersions(self._db, store="keywords", steps=MIGRATIONS, lock=self._lock), migrate=migrate)

    def has(self, collection: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (_table(collection),))
            return row.fetchone() is not None

    def ensure(self, collection: str) -> None:
        t, f = _quoted(collection)
        with self._lock:
            script = _SCHEMA.format(
                t=t,
                f=f,
                doc=_quoted_name(collection, "doc"),
                content=_literal(_table(collection)),
                ai=_quoted_name(collection, "ai"),
                ad=_quoted_name(collection, "ad"),
                au=_quoted_name(collection, "au"),
            )
            self._db.executescript(script)

    def drop(self, collection: str) -> None:
        t, f = _quoted(collection)
        with self._lock:
            self._db.executescript(f"BEGIN; DROP TABLE IF EXISTS {f}; DROP TABLE IF EXISTS {t}; COMMIT;")  # nosec B608

    def upsert(self, collection: str, chunks: Sequence[Chunk]) -> None:
        t, _ = _quoted(collection)
        rows = [(c.id, c.document_id, c.document_version, c.position, json.dumps(c.metadata), c.text) for c in chunks]
        with self._lock, self._transaction():
            self._db.executemany(
                f"INSERT INTO {t} (chunk_id, document_id, document_version, position, metadata, text) "  # nosec B608
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(chunk_id) DO UPDATE SET document_id=excluded.document_id, "
                "document_version=excluded.document_version, position=excluded.position, "
                "metadata=excluded.metadata, text=excluded.text",
                rows,
            )

    def delete(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        t, _ = _quoted(collection)
        sql, args = f"DELETE FROM {t} WHERE document_id = ?", [document_id]  # nosec B608
        if keep_version:
            sql, args = sql + " AND document_version != ?", [*args, keep_version]
        with self._lock, self._transaction():
            self._db.execute(sql, args)

    def search(
        self,
        collection: str,
        text: str,
        filters: Sequence[MetadataFilter],
        top_k: int,
        *,
        access: AccessFilter | None,
    ) -> list[SearchHit]:
        """The best ``top_k`` chunks by BM25 (k1 1.2, b 0.75), score = the BM25 value (higher is better);
        chunks sharing no word with the query, or that ``access`` does not admit, are not returned."""
        expression = match_expression(text)
        if not expression:
            return []
        t, f = _quoted(collection)
        where, args = _filters(filters)
        if access is not None:
            where, args = where + _access_clause(access), [*args, *_access_args(access)]
        sql = (
            f"SELECT c.chunk_id, c.document_id, c.document_version, c.position, c.metadata, c.text, {f}.rank "  # nosec B608
            f"FROM {f} JOIN {t} AS c ON c.rowid = {f}.rowid WHERE {f} MATCH ?{where} ORDER BY {f}.rank LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, [expression, *args, top_k]).fetchall()
        return [
            SearchHit(
                chunk=Chunk(
                    id=r[0],
                    document_id=r[1],
                    document_version=r[2],
                    position=r[3],
                    metadata=json.loads(r[4]),
                    text=r[5],
                ),
                score=-float(r[6]),
            )
            for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def chunk_from_metadata(cid: str, text: str | None, meta: Any) -> Chunk | None:
    """A chunk from the flat metadata Chroma stores with it; None if its AutBot keys are missing."""
    m = dict(meta or {})
    if "document_id" not in m:
        return None
    return Chunk(
        id=cid,
        document_id=str(m.pop("document_id")),
        document_version=str(m.pop("document_version")),
        position=int(m.pop("position")),
        text=text or "",
        metadata={k: v for k, v in m.items() if isinstance(v, (str, int, float, bool))},
    )


def _table(collection: str) -> str:
    return f"kw:{collection}"


def _quoted(collection: str) -> tuple[str, str]:
    """The chunk table and its FTS index as quoted identifiers (collection names are ``[a-z0-9_-]``)."""
    return f'"kw:{collection}"', f'"kw:{collection}:fts"'


def _quoted_name(collection: str, suffix: str) -> str:
    return f'"kw:{collection}:{suffix}"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _filters(filters: Sequence[MetadataFilter]) -> tuple[str, list[Any]]:
    """Filters as SQL on the JSON metadata, with the domain's equality (``filter_matches``): booleans
    match booleans only, numbers compare numerically (2024.0 = 2024), strings match strings."""
    clauses: list[str] = []
    args: list[Any] = []
    for f in filters:
        values = f.value if isinstance(f.value, list) else [f.value]
        if f.key == "document_id":
            clauses.append(f"c.document_id IN ({', '.join('?' for _ in values)})")
            args.extend(str(v) for v in values)
            continue
        path = f"$.{f.key}"
        options = []
        for v in values:
            clause, extra = _equals(path, v)
            options.append(clause)
            args.extend(extra)
        clauses.append("(" + " OR ".join(options) + ")")
    return "".join(f" AND {c}" for c in clauses), args


def _access_clause(access: AccessFilter) -> str:
    """``domain.access`` as SQL on the JSON metadata: not restricted, or one of the caller's flags set."""
    return (
        " AND (json_type(c.metadata, ?) IS NOT 'true'"
        + " OR json_type(c.metadata, ?) = 'true'" * len(access.keys)
        + ")"
    )


def _access_args(access: AccessFilter) -> list[str]:
    """The JSON paths of the access clause; flag names never hold a double quote (``access.parse_names``)."""
    return [f'$."{k}"' for k in (RESTRICTED_KEY, *access.keys)]


def _equals(path: str, value: MetadataValue) -> tuple[str, list[Any]]:
    if isinstance(value, bool):
        return "json_type(c.metadata, ?) = ?", [path, "true" if value else "false"]
    if isinstance(value, (int, float)):
        return "(json_type(c.metadata, ?) IN ('integer', 'real') AND json_extract(c.metadata, ?) = ?)", [
            path,
            path,
            value,
        ]
    return "(json_type(c.metadata, ?) = 'text' AND json_extract(c.metadata, ?) = ?)", [path, path, value]
