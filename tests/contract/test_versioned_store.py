"""The VersionedStore contract: a fresh store records version 0; ``apply(n)`` takes it from ``n`` to ``n + 1`` once
(a second ``apply(n)`` is False and changes nothing, as when another process migrated first); applying every step
in order reaches ``len(steps)``; each step has a one-line description. Over the hand-written fake, SQLite, a real
Redis and a real Weaviate (its own steps)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autbot.adapters.redis_versions import RedisStep, RedisVersions
from autbot.adapters.sqlite_versions import SqliteStep, SqliteVersions, statements
from autbot.ports.versioned_store import VersionedStore
from tests.support.fakes import ListStore
from tests.support.redis import RedisServer
from tests.support.weaviate import WeaviateNodes


def _fake(tmp_path: Path, request: pytest.FixtureRequest) -> VersionedStore:
    return ListStore("fake", ["create the list", "add a field"])


def _sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> VersionedStore:
    steps = [
        SqliteStep("create t", statements("CREATE TABLE t (a TEXT)")),
        SqliteStep("add t.b", statements("ALTER TABLE t ADD COLUMN b TEXT")),
    ]
    db = sqlite3.connect(tmp_path / "store.sqlite3", isolation_level=None, check_same_thread=False)
    request.addfinalizer(db.close)
    return SqliteVersions(db, store="contract", steps=steps)


def _redis(tmp_path: Path, request: pytest.FixtureRequest) -> VersionedStore:
    import redis

    server: RedisServer = request.getfixturevalue("redis_server")
    client = redis.Redis.from_url(server.url)
    prefix = f"contract:{tmp_path.name}:"
    request.addfinalizer(client.close)

    def mark(client: Any, pipe: Any) -> None:
        pipe.set(f"{prefix}marker", "1")

    return RedisVersions(
        client, store="contract", prefix=prefix, steps=[RedisStep("mark", mark), RedisStep("same", mark)]
    )


def _weaviate(tmp_path: Path, request: pytest.FixtureRequest) -> VersionedStore:
    from autbot.adapters.weaviate.connection import WeaviateConnection
    from autbot.adapters.weaviate.schema import COLLECTIONS, create_registry_collections
    from autbot.adapters.weaviate.versions import WeaviateVersions

    node: WeaviateNodes = request.getfixturevalue("weaviate_node")
    conn = WeaviateConnection(**node.settings())  # type: ignore[arg-type]
    request.addfinalizer(conn.close)
    create_registry_collections(conn, 1)  # as a release without versions made it (or an earlier test left it)
    conn.client.collections.use(COLLECTIONS).config.update(description="")  # version 0 again
    return WeaviateVersions(conn)


STORES: dict[str, Callable[[Path, pytest.FixtureRequest], VersionedStore]] = {
    "fake": _fake,
    "sqlite": _sqlite,
    "redis": _redis,
    "weaviate": _weaviate,
}
MARKS = {
    "redis": [pytest.mark.slow, pytest.mark.redis],
    "weaviate": [pytest.mark.slow, pytest.mark.weaviate],
}


@pytest.fixture(params=[pytest.param(name, marks=MARKS.get(name, [])) for name in STORES])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> VersionedStore:
    return STORES[request.param](tmp_path, request)


def test_a_fresh_store_is_at_version_0_with_described_steps(store: VersionedStore) -> None:
    assert store.version() == 0
    assert store.store
    assert store.steps
    assert all(isinstance(s, str) and s.strip() and "\n" not in s for s in store.steps)


def test_a_step_applies_once(store: VersionedStore) -> None:
    assert store.apply(0) is True
    assert store.version() == 1
    assert store.apply(0) is False  # another process got there first: nothing changes
    assert store.version() == 1


def test_every_step_in_order_reaches_the_last_version(store: VersionedStore) -> None:
    for step in range(len(store.steps)):
        assert store.apply(step) is True
    assert store.version() == len(store.steps)
    assert store.apply(len(store.steps) - 1) is False
