"""The KeyStore contract: the fake, the embedded SQLite store and a real Redis all pass it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autbot.domain.auth import Scope, new_key
from autbot.domain.errors import Conflict, KeyStoreUnavailable
from autbot.ports.key_store import KeyStore

SCOPES = frozenset({Scope.QUERY, Scope.INGEST})


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=[pytest.mark.slow, pytest.mark.redis])])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    if request.param == "memory":
        from autbot.adapters.keys.memory import InMemoryKeyStore

        yield InMemoryKeyStore()
    elif request.param == "sqlite":
        from autbot.adapters.keys.sqlite import SqliteKeyStore

        store = SqliteKeyStore(tmp_path / "keys.sqlite3")
        yield store
        store.close()
    else:
        import redis

        from autbot.adapters.keys.redis import RedisKeyStore

        client = redis.Redis.from_url(request.getfixturevalue("redis_server").url, socket_timeout=0.5)
        yield RedisKeyStore(client, prefix=f"test:{uuid.uuid4().hex}:")
        client.close()


def test_satisfies_the_protocol(keys: KeyStore) -> None:
    assert isinstance(keys, KeyStore)
    assert keys.health().ok


def test_add_get_list_revoke(keys: KeyStore) -> None:
    assert not keys.has_active_keys()
    assert keys.list() == []
    first, _ = new_key(name="alpha", scopes=SCOPES, collections=frozenset({"kb"}), now=100.0)
    second, _ = new_key(name="beta", scopes=frozenset({Scope.ADMIN}), collections=None, now=200.0)
    keys.add(first)
    keys.add(second)
    assert keys.has_active_keys()
    assert keys.get(first.key_id) == first  # stored whole: scopes, collections, salt, hash, times
    assert keys.get("nonexistent1") is None
    assert [k.name for k in keys.list()] == ["alpha", "beta"]
    assert keys.revoke("alpha", now=300.0) is True
    assert keys.revoke("alpha", now=301.0) is False  # already revoked
    assert keys.revoke("nobody", now=301.0) is False
    revoked = keys.get(first.key_id)
    assert revoked is not None
    assert revoked.revoked_at == pytest.approx(300.0)
    assert keys.has_active_keys()  # beta is still active
    keys.revoke("beta", now=302.0)
    assert not keys.has_active_keys()
    assert len(keys.list()) == 2  # revoked keys are listed


def test_one_active_key_per_name(keys: KeyStore) -> None:
    first, _ = new_key(name="ci", scopes=SCOPES, collections=None, now=time.time())
    keys.add(first)
    again, _ = new_key(name="ci", scopes=SCOPES, collections=None, now=time.time())
    with pytest.raises(Conflict):
        keys.add(again)
    assert keys.get(again.key_id) is None
    keys.revoke("ci", now=time.time())
    keys.add(again)  # a revoked name can be reused
    assert keys.get(again.key_id) == again


def test_sqlite_store_is_private_and_reports_failure(tmp_path: Path) -> None:
    from autbot.adapters.keys.sqlite import SqliteKeyStore

    store = SqliteKeyStore(tmp_path / "k.sqlite3")
    assert (tmp_path / "k.sqlite3").stat().st_mode & 0o077 == 0  # owner-only
    store.close()
    assert not store.health().ok
    with pytest.raises(KeyStoreUnavailable):
        store.has_active_keys()


@pytest.mark.slow
@pytest.mark.redis
def test_redis_store_down_is_key_store_unavailable() -> None:
    import redis

    from autbot.adapters.keys.redis import RedisKeyStore
    from tests.support.processes import free_port

    client = redis.Redis(host="127.0.0.1", port=free_port(), socket_timeout=0.2, socket_connect_timeout=0.2)
    store = RedisKeyStore(client)
    with pytest.raises(KeyStoreUnavailable) as e:
        store.has_active_keys()
    assert e.value.code == "key_store_unavailable"
    assert not store.health().ok
