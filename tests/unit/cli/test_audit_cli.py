"""``autbot audit`` and the records of ``autbot keys``: read and written in the configured store directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autbot.entrypoints.cli import main
from autbot.entrypoints.cli.audit import cli_actor


@pytest.fixture(autouse=True)
def embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("AUTBOT_STORAGE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AUTBOT_INDEX__BACKEND", "memory")
    monkeypatch.setenv("AUTBOT_EMBEDDER__BACKEND", "hashing")
    monkeypatch.setenv("AUTBOT_LLM__BACKEND", "fake")
    return tmp_path / "data"


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(["audit", "--json", *args]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_key_commands_write_one_record_each_without_the_key(capsys: pytest.CaptureFixture[str], embedded: Path) -> None:
    assert main(["keys", "create", "ops", "--scopes", "admin"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["keys", "list"]) == 0
    assert main(["keys", "revoke", "ops"]) == 0
    assert main(["keys", "revoke", "ops"]) == 1  # none active any more: recorded as not_found
    page = audit(capsys)
    records = page["records"]
    assert isinstance(records, list)
    got = [(r["action"], r["outcome"]) for r in records]
    assert got == [("key.revoke", "not_found"), ("key.revoke", "ok"), ("keys.list", "ok"), ("key.create", "ok")]
    assert {r["actor"] for r in records} == {cli_actor()}
    key_id = key.split("_")[1]
    assert records[3]["target"] == records[1]["target"] == f"key:{key_id}"
    assert key.split("_", 2)[2] not in json.dumps(page)  # the secret part of the key is nowhere
    assert (embedded / "audit.sqlite3").stat().st_mode & 0o077 == 0


def test_the_audit_command_filters_and_records_its_own_read(capsys: pytest.CaptureFixture[str]) -> None:
    main(["keys", "create", "a", "--scopes", "query"])
    main(["keys", "create", "b", "--scopes", "query"])
    assert audit(capsys, "--action", "key.create", "--limit", "1")["total"] == 2
    assert audit(capsys, "--action", "audit.read")["total"] == 1  # the read above; this one is written after
    assert audit(capsys, "--action", "audit.read")["total"] == 2
    assert audit(capsys, "--since", "2999-01-01")["total"] == 0


def test_a_bad_filter_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--action", "nope"]) == 2
    assert "invalid_input" in capsys.readouterr().err
