"""API keys in a SQLite file under the data directory: the embedded default.

The file holds key ids, names, scopes, collections, groups and salted hashes; never a key in clear. It is
created with owner-only permissions. The CLI and the server may use it at the same time (WAL).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from autbot.adapters.sqlite_versions import SqliteStep, SqliteVersions, guarded, open_database, statements
from autbot.domain.auth import ApiKey, Scope
from autbot.domain.errors import Conflict, KeyStoreUnavailable
from autbot.domain.model import HealthStatus
from autbot.use_cases.migrations import open_current

T = TypeVar("T")

MIGRATIONS = (
    SqliteStep(
        "create the api_keys table (if absent) and record schema version 1",
        statements(
            "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "scopes TEXT NOT NULL, collections TEXT, salt TEXT NOT NULL, secret_hash TEXT NOT NULL, "
            "created_at REAL NOT NULL, revoked_at REAL)",
            "CREATE UNIQUE INDEX IF NOT EXISTS one_active_key_per_name ON api_keys (name) WHERE revoked_at IS NULL",
        ),
    ),
    SqliteStep(
        "add the groups column (a JSON list; NULL, as on keys made before it: no groups)",
        statements("ALTER TABLE api_keys ADD COLUMN groups TEXT"),
    ),
)
"""The key file's schema steps (``domain.schema_versions``): version 0 is the 0.1.0 layout or an empty file."""


_COLUMNS = "key_id, name, scopes, collections, salt, secret_hash, created_at, revoked_at, groups"
_MARKS = ", ".join("?" for _ in _COLUMNS.split(","))
_SELECT = f"SELECT {_COLUMNS} FROM api_keys"  # nosec B608 - constant column names


def key_file_versions(path: Path, *, read_only: bool = False) -> SqliteVersions:
    """The key file's schema version on a connection of its own (``autbot migrate``)."""
    return SqliteVersions.at(path, store="keys", steps=MIGRATIONS, read_only=read_only)


class SqliteKeyStore:
    def __init__(self, path: str | Path, *, migrate: bool = True) -> None:
        self._path = Path(path)
        self._db = open_database(self._path, what="the key store", error=KeyStoreUnavailable, private=True)
        self._lock = threading.Lock()
        open_current(SqliteVersions(self._db, store="keys", steps=MIGRATIONS, lock=self._lock), migrate=migrate)

    def add(self, key: ApiKey) -> None:
        row = (
            key.key_id,
            key.name,
            json.dumps(sorted(s.value for s in key.scopes)),
            None if key.collections is None else json.dumps(sorted(key.collections)),
            key.salt,
            key.secret_hash,
            key.created_at,
            key.revoked_at,
            json.dumps(sorted(key.groups)),
        )
        try:
            sql = f"INSERT INTO api_keys ({_COLUMNS}) VALUES ({_MARKS})"  # nosec B608 - constant columns, ? values
            self._call(lambda: self._db.execute(sql, row))
        except KeyStoreUnavailable as e:
            if isinstance(e.__cause__, sqlite3.IntegrityError):
                raise Conflict(f"An active key named '{key.name}' exists; revoke it first.", name=key.name) from e
            raise

    def get(self, key_id: str) -> ApiKey | None:
        row = self._call(lambda: self._db.execute(_SELECT + " WHERE key_id = ?", (key_id,)).fetchone())
        return None if row is None else _key(row)

    def list(self) -> list[ApiKey]:
        rows = self._call(lambda: self._db.execute(_SELECT + " ORDER BY created_at, name").fetchall())
        return [_key(r) for r in rows]

    def revoke(self, name: str, *, now: float) -> bool:
        return self._call(
            lambda: (
                self._db.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", (now, name)
                ).rowcount
                > 0
            )
        )

    def has_active_keys(self) -> bool:
        row = self._call(lambda: self._db.execute("SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1").fetchone())
        return row is not None

    def health(self) -> HealthStatus:
        try:
            self._call(lambda: self._db.execute("SELECT 1").fetchone())
        except KeyStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True, detail="sqlite keys")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _call(self, fn: Callable[[], T]) -> T:
        return guarded(self._lock, fn, error=KeyStoreUnavailable, what="The key store")


def _key(r: tuple[object, ...]) -> ApiKey:
    collections = None if r[3] is None else frozenset(json.loads(str(r[3])))
    return ApiKey(
        key_id=str(r[0]),
        name=str(r[1]),
        scopes=frozenset(Scope(s) for s in json.loads(str(r[2]))),
        collections=collections,
        salt=str(r[4]),
        secret_hash=str(r[5]),
        created_at=float(str(r[6])),
        revoked_at=None if r[7] is None else float(str(r[7])),
        groups=frozenset() if r[8] is None else frozenset(json.loads(str(r[8]))),
    )
