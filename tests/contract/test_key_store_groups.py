"""Keys carry groups (documents' access lists): every key store keeps them, and keys stored before groups
existed read back with none (the SQLite key file's step 1 → 2, a Redis record without the field)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from autbot.adapters.keys.redis import _fields, _key
from autbot.adapters.keys.sqlite import SqliteKeyStore
from autbot.domain.auth import Scope, new_key
from autbot.domain.errors import InvalidInput
from autbot.ports.key_store import KeyStore
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.contract.test_key_store import keys  # noqa: F401  (the fixture over every store)

SCOPES = frozenset({Scope.QUERY})


def test_groups_are_stored_whole(keys: KeyStore) -> None:  # noqa: F811
    record, _ = new_key(name="fin", scopes=SCOPES, collections=None, now=1.0, groups=frozenset({"finance", "a.b"}))
    plain, _ = new_key(name="plain", scopes=SCOPES, collections=None, now=2.0)
    keys.add(record)
    keys.add(plain)
    assert keys.get(record.key_id) == record
    stored = keys.get(plain.key_id)
    assert stored is not None
    assert stored.groups == frozenset()


def test_create_key_parses_groups(keys: KeyStore) -> None:  # noqa: F811
    created = CreateKey(keys=keys).execute(CreateKeyRequest(name="k", scopes=("query",), groups=("finance", "legal")))
    assert created.record.groups == frozenset({"finance", "legal"})
    for bad in (("fin ance",), ("-x",), tuple(f"g{i}" for i in range(40))):
        with pytest.raises(InvalidInput) as caught:
            CreateKey(keys=keys).execute(CreateKeyRequest(name="bad", scopes=("query",), groups=bad))
        assert caught.value.details["field"] == "groups"


def test_a_version_1_key_file_migrates_to_groups(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite3"
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute(
        "CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL, collections TEXT, "
        "salt TEXT NOT NULL, secret_hash TEXT NOT NULL, created_at REAL NOT NULL, revoked_at REAL)"
    )
    db.execute(
        "INSERT INTO api_keys VALUES ('abcdefghijkl', 'old', ?, NULL, '00', 'h', 1.0, NULL)", [json.dumps(["query"])]
    )
    db.execute("PRAGMA user_version = 1")
    db.close()
    store = SqliteKeyStore(path)
    try:
        old = store.get("abcdefghijkl")
        assert old is not None
        assert (old.name, old.groups) == ("old", frozenset())
    finally:
        store.close()
    assert sqlite3.connect(str(path)).execute("PRAGMA user_version").fetchone() == (2,)


def test_a_redis_record_without_groups_has_none() -> None:
    record, _ = new_key(name="r", scopes=SCOPES, collections=None, now=1.0, groups=frozenset({"hr"}))
    fields = _fields(record)
    assert _key(fields) == record
    del fields["groups"]
    assert _key(fields).groups == frozenset()
