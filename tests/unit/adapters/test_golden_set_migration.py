"""Registry schema step 2 (golden sets): a registry file at version 1 gains the tables and keeps its records."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from autbot.adapters.registry.sqlite import MIGRATIONS, SqliteDocumentRegistry, registry_versions
from autbot.adapters.registry.sqlite_golden_sets import SqliteGoldenSetStore
from autbot.adapters.sqlite_versions import SqliteVersions
from autbot.domain.errors import MigrationRequired
from autbot.domain.golden_sets import GoldenQuery, GoldenSet
from autbot.domain.model import CollectionInfo


def _at_version_1(path: Path) -> None:
    """A registry as the release before golden sets left it: step 1 only."""
    db = sqlite3.connect(path, isolation_level=None)
    SqliteVersions(db, store="registry", steps=MIGRATIONS[:1]).apply(0)
    db.execute("INSERT INTO collections VALUES ('kb', 'm', 4, 1.0)")
    db.close()


def _tables(path: Path) -> set[str]:
    rows = sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


def test_a_version_1_registry_migrates_to_2_and_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    _at_version_1(path)
    assert registry_versions(path, read_only=True).version() == 1
    assert "golden_sets" not in _tables(path)
    store = SqliteGoldenSetStore(path)  # either store opening the file migrates it
    registry = SqliteDocumentRegistry(path)
    golden = GoldenSet(queries=(GoldenQuery(id="q", text="t"),), qrels={"q": {"d": 1}}, updated_at=3.0)
    store.put("kb", golden)
    assert registry.get_collection("kb") == CollectionInfo(name="kb", embedding_model="m", dimension=4)
    assert store.get("kb") == golden
    store.close()
    registry.close()
    assert registry_versions(path, read_only=True).version() == len(MIGRATIONS)
    assert {"golden_sets", "evaluations"} <= _tables(path)


def test_a_version_1_registry_is_refused_when_start_up_does_not_migrate(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    _at_version_1(path)
    with pytest.raises(MigrationRequired):
        SqliteGoldenSetStore(path, migrate=False)
    assert registry_versions(path, read_only=True).version() == 1
