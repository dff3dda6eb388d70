"""API key stores (``auth.keys_backend``) and whether keys are required."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.settings import Settings
from autbot.entrypoints.settings.types import is_loopback
from autbot.ports.key_store import KeyStore

if TYPE_CHECKING:
    import redis


def sqlite_key_store(s: Settings, data_dir: Path) -> Iterator[KeyStore]:
    from autbot.adapters.keys.sqlite import SqliteKeyStore

    yield from closing(SqliteKeyStore(data_dir / "keys.sqlite3", migrate=s.storage.migrate_on_start))


def redis_key_store(client: redis.Redis) -> KeyStore:
    """On the container's shared Redis client (the ``[redis]`` settings)."""
    from autbot.adapters.keys.redis import RedisKeyStore

    return RedisKeyStore(client)


def memory_key_store() -> KeyStore:
    from autbot.adapters.keys.memory import InMemoryKeyStore

    return InMemoryKeyStore()


def keys_always_required(s: Settings) -> bool:
    """Keys are required whatever the key store holds when asked to, or when listening beyond loopback."""
    return s.auth.required or not is_loopback(s.server.host)
