"""The Redis layouts' schema versions on a real Redis: recorded once, a second run changes nothing, two
migrators racing apply each step once, a newer version is refused; ``autbot migrate`` reaches them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from autbot.adapters.keys.redis import RedisKeyStore, redis_key_versions
from autbot.adapters.redis_versions import RedisStep, RedisVersions, nothing
from autbot.adapters.sessions.redis import redis_session_versions
from autbot.domain.errors import SchemaTooNew
from autbot.entrypoints.cli import main
from autbot.use_cases.migrations import MigrateStores, open_current
from tests.support.redis import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[Any]:
    import redis

    r = redis.Redis.from_url(redis_server.url, socket_timeout=2)
    r.flushdb()
    yield r
    r.close()


def test_each_layout_records_its_version_once(client: Any) -> None:
    stores = [redis_key_versions(client), redis_session_versions(client)]
    assert [p.current for p in MigrateStores(stores).execute()] == [0, 0]
    assert client.get("autbot:keys:schema") == b"1"
    assert client.get("autbot:sessions:schema") == b"1"
    assert not any(p.pending for p in MigrateStores(stores).execute())


def test_a_step_another_replica_ran_is_not_run_again(client: Any) -> None:
    ran: list[str] = []

    def step(r: Any, pipe: Any) -> None:
        ran.append("x")
        pipe.incr("counter")

    steps = [RedisStep("count", step)]
    prefix = f"t-{uuid.uuid4().hex}:"
    first, second = (RedisVersions(client, store="t", prefix=prefix, steps=steps) for _ in range(2))
    assert first.apply(0)
    assert not second.apply(0)
    assert client.get("counter") == b"1"
    assert first.version() == second.version() == 1


def test_a_newer_layout_is_refused(client: Any) -> None:
    client.set("autbot:keys:schema", "4")
    with pytest.raises(SchemaTooNew, match="keys store is at schema version 4"):
        open_current(redis_key_versions(client), migrate=True)
    RedisKeyStore(client).list()  # the data itself is untouched


def test_the_command_checks_and_migrates_redis(
    client: Any,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:
    for key, value in {
        "AUTBOT_STORAGE__DATA_DIR": str(tmp_path),
        "AUTBOT_AUTH__KEYS_BACKEND": "redis",
        "AUTBOT_SESSIONS__BACKEND": "redis",
        "AUTBOT_REDIS__URL": redis_server.url,
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["migrate", "--check", "--json"]) == 1
    assert {p["store"] for p in json.loads(capsys.readouterr().out)} == {"keys", "sessions"}
    assert main(["migrate"]) == 0
    assert main(["migrate", "--check"]) == 0
    assert client.get("autbot:keys:schema") == b"1"


def test_nothing_is_a_step_that_writes_nothing(client: Any) -> None:
    versions = RedisVersions(client, store="n", prefix="n:", steps=[RedisStep("record", nothing)])
    assert versions.apply(0)
    assert sorted(client.keys("n:*")) == [b"n:schema"]
