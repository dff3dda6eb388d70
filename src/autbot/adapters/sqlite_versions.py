"""Schema versions of AutBot's SQLite files, recorded in SQLite's own ``PRAGMA user_version``.

Shared by every SQLite store (registry, keyword index, keys, sessions): each declares its ordered steps
(``SqliteStep``) and opens through ``SqliteVersions``. A step runs in one ``BEGIN IMMEDIATE`` transaction
with the version bump, so a crash leaves the file at the old version or the new one, never between.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from autbot.domain.errors import AutbotError, DependencyUnavailable

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SqliteStep:
    description: str
    run: Callable[[sqlite3.Connection], None]


def statements(*sql: str) -> Callable[[sqlite3.Connection], None]:
    """A step made of plain statements (never ``executescript``: it would commit the step's transaction)."""

    def run(db: sqlite3.Connection) -> None:
        for s in sql:
            db.execute(s)

    return run


class SqliteVersions:
    """One SQLite file as a ``VersionedStore``, on a connection opened with ``isolation_level=None``."""

    def __init__(
        self, db: sqlite3.Connection, *, store: str, steps: Sequence[SqliteStep], lock: threading.Lock | None = None
    ) -> None:
        self._db = db
        self._store = store
        self._steps = steps
        self._lock = lock or threading.Lock()

    @classmethod
    def at(cls, path: Path, *, store: str, steps: Sequence[SqliteStep], read_only: bool = False) -> SqliteVersions:
        """The file at ``path`` on a connection of its own (the CLI's ``migrate``); read-only for ``--check``,
        where a missing file reads as an empty store (version 0) and is not created."""
        try:
            if read_only and not path.exists():
                db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            else:
                uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rwc'}"
                db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA busy_timeout=5000")
        except sqlite3.Error as e:
            raise DependencyUnavailable(f"Could not open the {store} store at {path}: {e}") from e
        return cls(db, store=store, steps=steps)

    @property
    def store(self) -> str:
        return self._store

    @property
    def steps(self) -> list[str]:
        return [s.description for s in self._steps]

    def version(self) -> int:
        with self._lock:
            return self._version()

    def apply(self, step: int) -> bool:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise DependencyUnavailable(f"Could not migrate the {self._store} store: {e}") from e
            try:
                if self._version() != step:
                    self._db.execute("ROLLBACK")
                    return False
                self._steps[step].run(self._db)
                self._db.execute(f"PRAGMA user_version = {int(step) + 1}")
            except BaseException as e:
                self._db.execute("ROLLBACK")
                if isinstance(e, sqlite3.Error):
                    raise DependencyUnavailable(f"Migrating the {self._store} store failed: {e}") from e
                raise
            self._db.execute("COMMIT")
            return True

    def close(self) -> None:
        self._db.close()

    def _version(self) -> int:
        try:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as e:
            raise DependencyUnavailable(f"Could not read the {self._store} store's version: {e}") from e


__all__ = ["SqliteStep", "SqliteVersions", "statements"]


def open_database(
    path: Path, *, what: str, error: type[DependencyUnavailable], private: bool = False, pragmas: Sequence[str] = ()
) -> sqlite3.Connection:
    """One SQLite file AutBot owns: autocommit (the adapter opens its own transactions), a WAL journal, up to 5 s of
    waiting on another writer, then ``pragmas``. ``private``: created and kept readable by the owner only (0600).
    A file that cannot be opened is ``error``, naming ``what``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if private and not path.exists():
        path.touch(mode=0o600)
    try:
        db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=5000")
        for pragma in pragmas:
            db.execute(f"PRAGMA {pragma}")
    except sqlite3.Error as e:
        raise error(f"Could not open {what} at {path}: {e}") from e
    if private:
        os.chmod(path, 0o600)
    return db


def guarded(lock: threading.Lock, fn: Callable[[], T], *, error: type[DependencyUnavailable], what: str) -> T:
    """``fn`` on a store's shared connection, one at a time; an SQLite error becomes ``error`` naming ``what``
    (AutBot's own errors pass through)."""
    with lock:
        try:
            return fn()
        except AutbotError:
            raise
        except sqlite3.Error as e:
            raise error(f"{what} failed: {type(e).__name__}: {e}") from e
