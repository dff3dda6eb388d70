"""A Redis password rotated at the server and at its secret file is used by the next connection: no restart,
no SIGHUP. A real Redis (its own, since the test changes its password), the app in process with fakes for the
rest: keys and sessions on the synchronous client, rate limits on the asyncio one (``closed`` on failure, so a
limiter that cannot authenticate answers 503)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from autbot.entrypoints.settings import load_settings
from tests.support.app_client import app_client
from tests.support.redis import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.redis]

DOC = {"documents": [{"id": "eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}


def _settings(redis_url: str, secrets: Path) -> Any:
    return load_settings(
        "local",
        env={},
        overrides={
            "embedder": {"backend": "hashing"},
            "index": {"backend": "memory"},
            "llm": {"backend": "fake", "min_vector_score": 0.0},
            "secrets": {"backend": "file", "directory": str(secrets)},
            "redis": {"url": redis_url},
            "auth": {"keys_backend": "redis"},
            "sessions": {"backend": "redis"},
            "limits": {"storage": "redis", "requests_on_redis_failure": "closed", "redis_recheck_s": 0.05},
        },
    )


def _until_answered(call: Callable[[], Any], tries: int = 40) -> Any:
    """Polled, not timed: a 503 is allowed while the limiter's link notices its dropped connection (it then
    waits ``redis_recheck_s`` before trying Redis again, with a new connection)."""
    response = call()
    for _ in range(tries):
        if response.status_code != 503:
            break
        time.sleep(0.05)
        response = call()
    return response


def test_a_rotated_redis_password_is_used_by_the_next_requests(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    try:
        redis.Redis.from_url(server.url).config_set("requirepass", "old-password")
        admin = redis.Redis.from_url(server.url, password="old-password")
        secrets = tmp_path / "secrets"
        secrets.mkdir()
        (secrets / "redis_password").write_text("old-password\n")
        with app_client(_settings(server.url, secrets)) as c:
            assert c.post("/v1/collections/kb/documents", json=DOC).status_code == 201
            assert c.post("/v1/sessions", json={"collection": "kb"}).status_code == 201

            admin.config_set("requirepass", "new-password")  # the operator rotates: the server, then the file
            (secrets / "redis_password").write_text("new-password\n")
            admin.client_kill_filter(_type="normal", skipme=True)  # every open connection drops (a failover)

            listed = c.get("/v1/sessions")  # not rate limited: the session store's connection alone
            assert listed.status_code == 200, listed.text  # a new connection, the new password
            assert len(listed.json()["data"]) == 1
            created = _until_answered(lambda: c.post("/v1/sessions", json={"collection": "kb"}))
            assert created.status_code == 201, created.text  # the limiter's connections too
            searched = _until_answered(lambda: c.post("/v1/collections/kb/search", json={"query": "tower"}))
            assert searched.status_code == 200, searched.text
    finally:
        server.stop()
