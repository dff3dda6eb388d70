"""SQLite schema versions: each step and its version bump in one transaction; the stores record theirs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from autbot.adapters.chunk_index.files import ChromaLayout
from autbot.adapters.chunk_index.keywords import SqliteKeywordIndex
from autbot.adapters.keys.sqlite import SqliteKeyStore, key_file_versions
from autbot.adapters.registry.sqlite import SqliteDocumentRegistry, registry_versions
from autbot.adapters.sessions.sqlite import SqliteSessionStore
from autbot.adapters.sqlite_versions import SqliteStep, SqliteVersions, statements
from autbot.domain.errors import MigrationRequired, SchemaTooNew
from autbot.use_cases.migrations import MigrateStores


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None)


def _fail(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO t VALUES (2)")
    raise RuntimeError("step failed half-way")


def test_a_failing_step_leaves_the_file_at_the_old_version_untouched(tmp_path: Path) -> None:
    steps = [
        SqliteStep("create t", statements("CREATE TABLE t (x INTEGER)", "INSERT INTO t VALUES (1)")),
        SqliteStep("fail", _fail),
    ]
    versions = SqliteVersions(_connect(tmp_path / "f.sqlite3"), store="f", steps=steps)
    with pytest.raises(RuntimeError):
        MigrateStores([versions]).execute()
    assert versions.version() == 1
    assert _connect(tmp_path / "f.sqlite3").execute("SELECT x FROM t").fetchall() == [(1,)]


def test_a_step_another_connection_ran_is_not_run_again(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    steps = [SqliteStep("create t", statements("CREATE TABLE t (x INTEGER)"))]
    first, second = (SqliteVersions(_connect(path), store="f", steps=steps) for _ in range(2))
    assert first.apply(0)
    assert not second.apply(0)  # "CREATE TABLE t" twice would fail
    assert second.version() == 1


def test_every_sqlite_store_records_its_version_when_opened(tmp_path: Path) -> None:
    for store in (
        SqliteDocumentRegistry(tmp_path / "registry.sqlite3"),
        SqliteKeyStore(tmp_path / "keys.sqlite3"),
        SqliteSessionStore(tmp_path / "sessions.sqlite3"),
        SqliteKeywordIndex(tmp_path / "keywords.sqlite3"),
    ):
        store.close()
    for name, version in {"registry": 3, "keys": 2, "sessions": 1, "keywords": 1}.items():
        assert _connect(tmp_path / f"{name}.sqlite3").execute("PRAGMA user_version").fetchone() == (version,)


def test_a_file_from_a_newer_autbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite3"
    SqliteKeyStore(path).close()
    _connect(path).execute("PRAGMA user_version = 7")
    with pytest.raises(SchemaTooNew, match="version 7"):
        SqliteKeyStore(path)


def test_a_store_behind_is_refused_when_start_up_does_not_migrate(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    _connect(path).execute("PRAGMA user_version = 0")
    with pytest.raises(MigrationRequired):
        SqliteDocumentRegistry(path, migrate=False)
    assert registry_versions(path, read_only=True).version() == 0


def test_check_reads_a_missing_file_as_empty_without_creating_it(tmp_path: Path) -> None:
    versions = key_file_versions(tmp_path / "absent.sqlite3", read_only=True)
    assert versions.version() == 0
    assert not (tmp_path / "absent.sqlite3").exists()


def test_the_chroma_layout_version_is_a_file_replaced_atomically(tmp_path: Path) -> None:
    layout = ChromaLayout(tmp_path)
    assert layout.version() == 0
    assert layout.apply(0)
    assert not layout.apply(0)
    assert layout.version() == 1
    assert [p.name for p in tmp_path.iterdir()] == ["chroma-layout.json"]
