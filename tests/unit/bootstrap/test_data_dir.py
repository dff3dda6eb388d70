"""The data directory is owner-only: made 0700, every file AutBot (and SQLite, Chroma) writes there 0600,
an existing loose one tightened on start with a warning."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from autbot.entrypoints.bootstrap.data_dir import private_data_dir
from autbot.entrypoints.observability.logs import configure_logging
from autbot.entrypoints.settings import LoggingSettings, load_settings
from tests.support.app_client import app_client


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """Start from the usual 022 (files 0644) and give the test process its umask back afterwards."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def open_to_others(root: Path) -> list[str]:
    entries = [root, *root.rglob("*")]
    return [f"{p.relative_to(root)} {stat.filemode(p.lstat().st_mode)}" for p in entries if p.lstat().st_mode & 0o077]


def test_after_ingestion_nothing_under_the_data_dir_is_readable_by_others(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = load_settings(
        "local",
        env={},
        overrides={
            "storage": {"data_dir": str(data)},
            "embedder": {"backend": "hashing"},
            "index": {"backend": "chroma"},
            "llm": {"backend": "fake", "min_vector_score": 0.0},
            "auth": {"keys_backend": "sqlite"},
            "sessions": {"backend": "sqlite"},
        },
    )
    with app_client(settings) as c:
        docs = [{"id": f"d{i}", "text": f"Document {i} is about the Eiffel Tower, 330 metres tall."} for i in range(40)]
        assert c.post("/v1/collections/kb/documents", json={"documents": docs}).status_code == 201
        assert c.post("/v1/collections/kb/search", json={"query": "tower", "mode": "hybrid"}).status_code == 200
        session = c.post("/v1/sessions", json={"collection": "kb"})
        assert session.status_code == 201, session.text
        r = c.post(f"/v1/sessions/{session.json()['id']}/messages", json={"question": "How tall?"})
        assert r.status_code == 200, r.text
        written = [p.name for p in data.rglob("*") if p.is_file()]
        assert {"registry.sqlite3", "chroma.sqlite3", "sessions.sqlite3", "keys.sqlite3"} <= set(written)
        assert any(name.endswith("-wal") for name in written)  # SQLite's journals are covered too
        assert open_to_others(data) == []


def test_an_existing_loose_data_dir_is_tightened_with_a_warning(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "index" / "segment").mkdir(parents=True)
    for path in (data / "keys.sqlite3", data / "keys.sqlite3-wal", data / "index" / "segment" / "data_level0.bin"):
        path.write_bytes(b"x")
        path.chmod(0o644)
    for d in (data, data / "index", data / "index" / "segment"):
        d.chmod(0o755)
    mine = data / "notes.txt"  # not AutBot's: left as it is
    mine.write_text("operator's")
    mine.chmod(0o644)
    out = io.StringIO()
    configure_logging(LoggingSettings(), stream=out)
    assert private_data_dir(data) == data
    assert open_to_others(data) == ["notes.txt -rw-r--r--"]
    assert "now owner-only" in out.getvalue()
    assert "6 entries" in out.getvalue()
    out.truncate(0)
    private_data_dir(data)  # already private: nothing to say
    assert "owner-only" not in out.getvalue()


def test_a_new_data_dir_is_private_and_so_is_what_the_process_writes_next(tmp_path: Path) -> None:
    data = private_data_dir(tmp_path / "a" / "data")
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    (data / "index").mkdir()
    (data / "index" / "new.bin").write_bytes(b"x")
    assert open_to_others(data) == []
