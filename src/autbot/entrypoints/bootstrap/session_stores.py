"""Session store factories (``sessions.backend``), each importing its adapter only when chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autbot.entrypoints.settings import Settings


def sqlite(s: Settings, data_dir: Path) -> Any:
    from autbot.adapters.sessions.sqlite import SqliteSessionStore

    c = s.sessions
    return SqliteSessionStore(data_dir / "sessions.sqlite3", ttl_s=c.ttl_s, max_messages=c.max_messages)


def redis(s: Settings, client: Any) -> Any:
    """On the container's shared Redis client (the ``[redis]`` settings)."""
    from autbot.adapters.sessions.redis import RedisSessionStore

    return RedisSessionStore(client, ttl_s=s.sessions.ttl_s, max_messages=s.sessions.max_messages)


def memory(s: Settings) -> Any:
    from autbot.adapters.sessions.memory import InMemorySessionStore

    return InMemorySessionStore(ttl_s=s.sessions.ttl_s, max_messages=s.sessions.max_messages)
