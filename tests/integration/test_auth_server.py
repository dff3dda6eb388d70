"""API keys end to end: `autbot keys` writes the store a running `autbot serve` reads (SQLite, then Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from autbot.use_cases.authenticate import VERIFIED_KEY_TTL_S
from tests.support.processes import ROOT, AutbotServer, running
from tests.support.redis import RedisServer

pytestmark = pytest.mark.slow

FAKES = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
}


def keys_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autbot.entrypoints.cli", "keys", *args],
        env={**os.environ, **env},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )


def create(env: dict[str, str], name: str, scopes: str, *extra: str) -> str:
    done = keys_cli(env, "create", name, "--scopes", scopes, *extra)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]  # the key alone on the last line
    assert key.startswith("abk_")
    return key


def until(check: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_keys_created_and_revoked_by_the_cli_apply_to_a_running_server(tmp_path: Path) -> None:
    env = {**FAKES, "AUTBOT_STORAGE__DATA_DIR": str(tmp_path / "data")}
    with running(AutbotServer(tmp_path / "data", env=env)) as server, server.client() as http:
        assert http.get("/v1/collections").status_code == 200  # no keys yet: open on loopback
        admin = create(env, "admin", "admin")
        assert until(lambda: http.get("/v1/collections").status_code == 401)  # a key exists: required now
        auth = {"Authorization": f"Bearer {admin}"}
        doc = {"documents": [{"id": "d", "text": "Keys protect collections."}]}
        assert http.post("/v1/collections/kb/documents", json=doc, headers=auth).status_code == 201
        reader = create(env, "reader", "query", "--collections", "kb")
        assert (
            http.post("/v1/collections/kb/search", json={"query": "keys"}, headers={"X-API-Key": reader}).status_code
            == 200
        )
        refused = http.post("/v1/collections/kb/documents", json=doc, headers={"X-API-Key": reader})
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        search = [sys.executable, "-m", "autbot.entrypoints.cli", "search", "keys", "-c", "kb", "--url", server.url]
        as_reader = subprocess.run(search, env={**os.environ, "AUTBOT_API_KEY": reader}, capture_output=True, text=True)
        assert as_reader.returncode == 0, as_reader.stderr
        assert "Keys protect collections." in as_reader.stdout
        keyless = subprocess.run(search, env={**os.environ, "AUTBOT_API_KEY": ""}, capture_output=True, text=True)
        assert keyless.returncode == 1
        assert "unauthorized" in keyless.stderr
        listed = keys_cli(env, "list", "--json")
        assert listed.returncode == 0
        assert admin not in listed.stdout  # never shown again
        assert reader not in listed.stdout
        assert keys_cli(env, "revoke", "reader").returncode == 0
        deadline = time.monotonic() + VERIFIED_KEY_TTL_S + 5  # a checked key is trusted this long
        while True:
            gone = http.post("/v1/collections/kb/search", json={"query": "keys"}, headers={"X-API-Key": reader})
            if gone.status_code != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert (gone.status_code, gone.json()["code"]) == (401, "unauthorized")
    assert admin not in server.log.read_text()  # keys never reach the log


@pytest.mark.redis
def test_replicas_share_keys_through_redis(tmp_path: Path, redis_server: RedisServer) -> None:
    url = redis_server.url
    env = {**FAKES, "AUTBOT_AUTH__KEYS_BACKEND": "redis", "AUTBOT_REDIS__URL": url, "AUTBOT_AUTH__REQUIRED": "true"}
    key = create({**env, "AUTBOT_STORAGE__DATA_DIR": str(tmp_path / "cli")}, f"shared-{time.time_ns()}", "query")
    first = AutbotServer(tmp_path / "a", env=env)
    second = AutbotServer(tmp_path / "b", env=env)
    with running(first), running(second):
        for server in (first, second):
            assert httpx.get(f"{server.url}/v1/collections", timeout=10).status_code == 401
            ok = httpx.get(f"{server.url}/v1/collections", headers={"Authorization": f"Bearer {key}"}, timeout=10)
            assert ok.status_code == 200


def test_a_profile_that_requires_keys_refuses_to_start_without_one(tmp_path: Path) -> None:
    env = {
        **FAKES,
        "AUTBOT_STORAGE__DATA_DIR": str(tmp_path / "data"),
        "AUTBOT_AUTH__REFUSE_START_WITHOUT_KEYS": "true",
    }
    done = subprocess.run(
        [sys.executable, "-m", "autbot.entrypoints.cli", "serve", "--port", "1"],
        env={**os.environ, **env},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "keys create" in done.stderr
