"""Session stores (``sessions.backend``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.settings import Settings
from autbot.ports.session_store import SessionStore

if TYPE_CHECKING:
    import redis


def sqlite_session_store(s: Settings, data_dir: Path) -> Iterator[SessionStore]:
    from autbot.adapters.sessions.sqlite import SqliteSessionStore

    c = s.sessions
    path = data_dir / "sessions.sqlite3"
    migrate = s.storage.migrate_on_start
    yield from closing(SqliteSessionStore(path, ttl_s=c.ttl_s, max_messages=c.max_messages, migrate=migrate))


def redis_session_store(s: Settings, client: redis.Redis) -> SessionStore:
    """On the container's shared Redis client (the ``[redis]`` settings)."""
    from autbot.adapters.sessions.redis import RedisSessionStore

    return RedisSessionStore(client, ttl_s=s.sessions.ttl_s, max_messages=s.sessions.max_messages)


def memory_session_store(s: Settings) -> SessionStore:
    from autbot.adapters.sessions.memory import InMemorySessionStore

    return InMemorySessionStore(ttl_s=s.sessions.ttl_s, max_messages=s.sessions.max_messages)
