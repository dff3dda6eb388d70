"""Registry schema step 3 (generations and source texts): a registry at version 2, and the 0.1.0 fixture data
directory, gain the tables and the live-generation column and keep every record; generation 0 is live."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from autbot.adapters.registry.sqlite import MIGRATIONS, SqliteDocumentRegistry, registry_versions
from autbot.adapters.registry.sqlite_generations import SqliteGenerationStore
from autbot.adapters.sqlite_versions import SqliteVersions
from autbot.domain.errors import MigrationRequired
from autbot.domain.model import CollectionInfo

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "datadir-v0"


def _at_version_2(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    versions = SqliteVersions(db, store="registry", steps=MIGRATIONS[:2])
    versions.apply(0)
    versions.apply(1)
    db.execute("INSERT INTO collections VALUES ('kb', 'm', 4, 1.0)")
    db.close()


def test_a_version_2_registry_migrates_to_3_and_its_collection_is_at_generation_0(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    _at_version_2(path)
    assert registry_versions(path, read_only=True).version() == 2
    store = SqliteGenerationStore(path)  # either store opening the file migrates it
    registry = SqliteDocumentRegistry(path)
    assert registry.get_collection("kb") == CollectionInfo(name="kb", embedding_model="m", dimension=4, generation=0)
    assert store.generations("kb") == []
    store.put_source("kb", "d", "v", "text")
    assert store.sources("kb", ["d"]) == {"d": ("v", "text")}
    store.close()
    registry.close()
    assert registry_versions(path, read_only=True).version() == 3


def test_a_version_2_registry_is_refused_when_start_up_does_not_migrate(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    _at_version_2(path)
    with pytest.raises(MigrationRequired):
        SqliteGenerationStore(path, migrate=False)


def test_the_fixture_data_directory_migrates_and_keeps_its_documents(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    shutil.copy(FIXTURE / "data" / "index" / "registry.sqlite3", path)
    expected = json.loads((FIXTURE / "expected.json").read_text())["documents"]
    registry, store = SqliteDocumentRegistry(path), SqliteGenerationStore(path)
    assert registry_versions(path, read_only=True).version() == len(MIGRATIONS)
    for collection, rows in expected.items():
        info = registry.get_collection(collection)
        assert info is not None
        assert info.generation == 0
        docs, total = registry.list_documents(collection, offset=0, limit=100)
        assert [[d.id, d.version, d.chunk_count] for d in docs] == rows
        assert total == len(rows)
        assert store.generations(collection) == []
        assert store.sources(collection, [d.id for d in docs]) == {}  # ingested before texts were kept
    registry.close()
    store.close()
