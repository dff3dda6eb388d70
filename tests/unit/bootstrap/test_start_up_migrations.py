"""Start-up and the stores' schema versions: migrated by default; with ``storage.migrate_on_start`` false a
store behind refuses the start and names ``autbot migrate``; a newer store refuses it either way."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from autbot.domain.errors import MigrationRequired, SchemaTooNew
from autbot.entrypoints.bootstrap.container import build_container
from autbot.entrypoints.settings import load_settings

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "datadir-v0" / "data"


def _container(data: Path, *, migrate: bool) -> object:
    env = {"AUTBOT_STORAGE__DATA_DIR": str(data), "AUTBOT_STORAGE__MIGRATE_ON_START": str(migrate).lower()}
    return build_container(load_settings("local", env=env))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "data")
    return tmp_path / "data"


def _version(path: Path) -> int:
    return int(sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0])


def test_refuse_and_ask_leaves_the_store_as_it_was(data: Path) -> None:
    container = _container(data, migrate=False)
    with pytest.raises(MigrationRequired, match="autbot migrate"):
        container.registry()  # type: ignore[attr-defined]
    with pytest.raises(MigrationRequired):
        container.key_store()  # type: ignore[attr-defined]
    assert _version(data / "index" / "registry.sqlite3") == 0


def test_by_default_start_up_migrates(data: Path) -> None:
    container = _container(data, migrate=True)
    try:
        assert container.registry().list_collections()  # type: ignore[attr-defined]
        container.key_store()  # type: ignore[attr-defined]
    finally:
        container.shutdown_resources()  # type: ignore[attr-defined]
    assert _version(data / "index" / "registry.sqlite3") == 3
    assert _version(data / "keys.sqlite3") == 2


def test_a_newer_store_refuses_the_start_either_way(data: Path) -> None:
    sqlite3.connect(data / "sessions.sqlite3", isolation_level=None).execute("PRAGMA user_version = 2")
    for migrate in (True, False):
        with pytest.raises(SchemaTooNew):
            _container(data, migrate=migrate).session_store()  # type: ignore[attr-defined]
