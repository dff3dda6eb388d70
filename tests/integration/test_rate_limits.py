"""Two ``autbot serve`` replicas and one Redis: one exact limit across both, and a Redis outage survived.

Fakes everywhere but the processes and Redis (fake LLM, hashing embedder, memory index: each replica
gets the one document it searches). Callers are anonymous on loopback, so both replicas count
``ip:127.0.0.1`` against the same Redis key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.processes import AutbotServer
from tests.support.redis import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.redis]

LIMIT = 15
DOC = {"documents": [{"id": "eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}
SEARCH = {"query": "How tall is the tower?"}
QUESTION = {"question": "How tall is the Eiffel Tower?"}
OUTAGE_WARNING = "logged once per outage"


def _search_from_many_clients(urls: list[str], per_client: int) -> list[httpx.Response]:
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def client(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            for _ in range(per_client):
                r = c.post("/v1/collections/kb/search", json=SEARCH)
                with lock:
                    responses.append(r)

    threads = [threading.Thread(target=client, args=(url,)) for url in urls for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return responses


def _until(check: Callable[[], object], *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not reached within {timeout} s")


def test_replicas_share_one_exact_limit_and_survive_a_redis_outage(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    env = {
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_LLM__MIN_VECTOR_SCORE": "0",
        "AUTBOT_EMBEDDER__BACKEND": "hashing",
        "AUTBOT_INDEX__BACKEND": "memory",
        "AUTBOT_REDIS__URL": redis.url,
        "AUTBOT_LIMITS__STORAGE": "redis",
        "AUTBOT_LIMITS__SEARCH": f"{LIMIT}/hour",
        "AUTBOT_LIMITS__DAILY_TOKENS_PER_KEY": "1000000",
        "AUTBOT_LIMITS__REDIS_RECHECK_S": "0.5",
    }
    a = AutbotServer(tmp_path / "a", env=env)
    b = AutbotServer(tmp_path / "b", env=env)
    try:
        with ThreadPoolExecutor(2) as pool:  # start both at once (each takes seconds to import)
            for started in [pool.submit(server.start) for server in (a, b)]:
                started.result()
        with a.client() as ca, b.client() as cb:
            for c in (ca, cb):
                assert c.post("/v1/collections/kb/documents", json=DOC).status_code == 201

            # 1. concurrent clients on both replicas: exactly LIMIT get through, in total
            responses = _search_from_many_clients([a.url, b.url], per_client=6)
            statuses = [r.status_code for r in responses]
            assert len(statuses) == 48
            assert statuses.count(200) == LIMIT, statuses
            assert statuses.count(429) == 48 - LIMIT, statuses
            for r in responses:
                assert r.headers["ratelimit-limit"] == str(LIMIT)
                if r.status_code == 429:
                    assert r.json()["code"] == "rate_limited"
                    assert int(r.headers["retry-after"]) >= 1
                    assert r.headers["ratelimit-remaining"] == "0"
            assert ca.post("/v1/collections/kb/query", json=QUESTION).status_code == 200  # budget in Redis

            # 2. Redis stops: searches are served under each process's own limit, budgets refuse, no 500
            redis.stop()
            searches = [c.post("/v1/collections/kb/search", json=SEARCH).status_code for c in (ca, cb) * 5]
            assert searches == [200] * 10
            for _ in range(5):
                r = ca.post("/v1/collections/kb/query", json=QUESTION)
                assert (r.status_code, r.json()["code"]) == (503, "budget_unavailable")
                assert int(r.headers["retry-after"]) >= 1
            assert ca.get("/v1/collections").status_code == 200  # nothing else depends on Redis
            assert a.log.read_text().count(OUTAGE_WARNING) == 1  # one warning, not one per request

            # 3. Redis returns (empty): budgets answer again, and the replicas share one count again
            redis.start()
            _until(lambda: ca.post("/v1/collections/kb/query", json=QUESTION).status_code == 200)
            _until(lambda: cb.post("/v1/collections/kb/query", json=QUESTION).status_code == 200)
            first = int(ca.post("/v1/collections/kb/search", json=SEARCH).headers["ratelimit-remaining"])
            second = int(cb.post("/v1/collections/kb/search", json=SEARCH).headers["ratelimit-remaining"])
            assert second == first - 1
            assert "answers again" in a.log.read_text()
        for server in (a, b):
            assert " 500" not in server.log.read_text()
    finally:
        a.stop()
        b.stop()
        redis.stop()
