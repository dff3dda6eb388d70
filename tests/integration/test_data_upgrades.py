"""A data directory written by AutBot 0.1.0 (``tests/fixtures/datadir-v0``, made by
``tests/support/make_fixture_datadir.py`` with that release's code) opened by this one: migrated on open,
every document, key and session still there, the same search results; a second start changes nothing; a
store from a newer AutBot is refused. ``autbot migrate --check`` says what would change and changes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from autbot import __version__
from autbot.adapters.chunk_index.chroma import ChromaChunkIndex
from autbot.adapters.registry.sqlite import SqliteDocumentRegistry
from autbot.domain.errors import SchemaTooNew
from autbot.entrypoints.cli import main
from tests.support import datadir

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "datadir-v0"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())
STORES = ("registry", "keywords", "keys", "sessions", "chroma")
TARGETS = {"registry": 3, "keys": 2}
"""Stores past version 1: the registry (step 2: golden sets; step 3: index generations and source texts), keys
(step 2: groups for access lists)."""


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE / "data", target)
    monkeypatch.setenv("AUTBOT_STORAGE__DATA_DIR", str(target))
    monkeypatch.setenv("AUTBOT_EMBEDDER__BACKEND", "hashing")
    return target


def _digest(root: Path) -> dict[str, str]:
    """Every file's hash, but SQLite's own side files (a read-only reader of a WAL file may leave them, empty)."""
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(("-wal", "-shm"))]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _read_back(data: Path) -> dict[str, object]:
    opened = datadir.stores(data, sessions_ttl_s=datadir.FOREVER_S)
    try:
        _, searcher = datadir.use_cases(opened)
        return {
            "documents": datadir.documents(opened["registry"]),
            "search": datadir.search_results(searcher),
            "keys": datadir.keys(opened["keys"]),
            "session": datadir.session(opened["sessions"]),
        }
    finally:
        datadir.close_all(opened)


def test_the_fixture_was_written_by_the_release_without_versions() -> None:
    assert EXPECTED["autbot_version"] == "0.1.0"
    db = sqlite3.connect(FIXTURE / "data" / "index" / "registry.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone() == (0,)
    assert not (FIXTURE / "data" / "index" / "chroma-layout.json").exists()


def test_check_lists_every_step_and_changes_nothing(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _digest(data)
    assert main(["migrate", "--check", "--json"]) == 1
    plans = {p["store"]: p for p in json.loads(capsys.readouterr().out)}
    assert set(plans) == set(STORES)
    targets = {store: TARGETS.get(store, 1) for store in STORES}
    assert all(p["version"] == 0 and p["target_version"] == len(p["steps"]) == targets[s] for s, p in plans.items())
    assert _digest(data) == before


def test_opening_migrates_and_keeps_every_document_key_and_session(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _read_back(data) == {k: EXPECTED[k] for k in ("documents", "search", "keys", "session")}
    assert main(["migrate", "--check"]) == 0
    out = capsys.readouterr().out
    assert all(f"{store:<10} version {TARGETS.get(store, 1)}: current" in out for store in STORES), out
    assert _read_back(data)["search"] == EXPECTED["search"]  # a second start: nothing to do, same results


def test_the_migrate_command_applies_the_steps(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert "registry   version 0 -> 3: migrated" in capsys.readouterr().out
    assert main(["migrate", "--check"]) == 0
    assert _read_back(data)["documents"] == EXPECTED["documents"]


def test_a_store_from_a_newer_autbot_is_refused_with_both_versions(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite3.connect(data / "index" / "registry.sqlite3", isolation_level=None).execute("PRAGMA user_version = 4")
    assert main(["migrate", "--check"]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err
    assert "version 4" in err
    assert "up to 3" in err
    assert f"AutBot {__version__}" in err
    with pytest.raises(SchemaTooNew):
        SqliteDocumentRegistry(data / "index" / "registry.sqlite3")
    (data / "index" / "chroma-layout.json").write_text('{"version": 9}')
    with pytest.raises(SchemaTooNew, match="chroma store is at schema version 9"):
        ChromaChunkIndex(path=str(data / "index"))
    (data / "index" / "chroma-layout.json").write_text('{"version": 1}')
    sqlite3.connect(data / "index" / "registry.sqlite3", isolation_level=None).execute("PRAGMA user_version = 1")
    ChromaChunkIndex(path=str(data / "index")).close()  # a refused open released the directory's lock
