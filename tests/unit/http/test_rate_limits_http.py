"""Rate limits, budgets and the generation queue at the HTTP edge, with fakes: statuses, problem bodies
and the Retry-After / RateLimit-* headers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.domain.quotas import LIMITED_ROUTES
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import LOOPBACK_BASE_URL, AppClient, app_client, fake_app, fake_settings
from tests.support.processes import free_port

DOC = {"documents": [{"id": "eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}
SEARCH = {"query": "How tall is the tower?"}
QUESTION = {"question": "How tall is the Eiffel Tower?"}


@pytest.fixture
def client() -> Iterator[AppClient]:
    with app_client(fake_settings(limits={"search": "3/hour", "query": "2/hour", "ingest": "5/hour"})) as c:
        assert c.post("/v1/collections/kb/documents", json=DOC).status_code == 201
        yield c


def _problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    return body


def test_a_limited_route_counts_down_then_answers_429_with_retry_after(client: AppClient) -> None:
    seen = []
    for _ in range(3):
        r = client.post("/v1/collections/kb/search", json=SEARCH)
        assert r.status_code == 200
        assert r.headers["ratelimit-limit"] == "3"
        assert r.headers["ratelimit-policy"] == "3;w=3600"
        assert 0 < int(r.headers["ratelimit-reset"]) <= 3600
        seen.append(int(r.headers["ratelimit-remaining"]))
    assert seen == [2, 1, 0]
    r = client.post("/v1/collections/kb/search", json=SEARCH)
    body = _problem(r, 429, "rate_limited")
    assert body["details"]["route"] == "search"
    assert 1 <= int(r.headers["retry-after"]) <= 3600
    assert (r.headers["ratelimit-limit"], r.headers["ratelimit-remaining"]) == ("3", "0")
    assert int(r.headers["ratelimit-reset"]) <= int(r.headers["retry-after"])


def test_each_route_has_its_own_limit_and_unlimited_routes_are_untouched(client: AppClient) -> None:
    for _ in range(3):
        client.post("/v1/collections/kb/search", json=SEARCH)
    assert client.post("/v1/collections/kb/search", json=SEARCH).status_code == 429
    assert [client.post("/v1/collections/kb/query", json=QUESTION).status_code for _ in range(3)] == [200, 200, 429]
    r = client.post("/v1/collections/kb/documents", json=DOC)  # the fixture's ingestion was the first of 5
    assert (r.status_code, r.headers["ratelimit-remaining"]) == (201, "3")
    r = client.get("/v1/collections/kb/documents")
    assert r.status_code == 200
    assert "ratelimit-limit" not in r.headers


def test_a_refused_stream_is_a_plain_429_before_any_event(client: AppClient) -> None:
    for _ in range(2):
        assert client.post("/v1/collections/kb/query", json={**QUESTION, "stream": True}).status_code == 200
    _problem(client.post("/v1/collections/kb/query", json={**QUESTION, "stream": True}), 429, "rate_limited")


def test_every_limited_route_names_a_configured_limit() -> None:
    app = fake_app(fake_settings(limits={}))
    limited = {
        (frozenset(h.http_methods), r.path): h.opt.get("rate_limit")
        for r in app.routes
        if isinstance(r, HTTPRoute)
        for h in r.route_handlers
    }
    named = {k: v for k, v in limited.items() if v}
    assert set(named.values()) <= set(LIMITED_ROUTES)  # each has its own rate setting
    assert (
        named.items()
        >= {
            (frozenset({"POST"}), "/v1/collections/{collection:str}/query"): "query",
            (frozenset({"POST"}), "/v1/collections/{collection:str}/search"): "search",
            (frozenset({"POST"}), "/v1/collections/{collection:str}/documents"): "ingest",
            (frozenset({"POST"}), "/v1/collections/{collection:str}/files"): "ingest",
        }.items()
    )


def test_each_key_has_its_own_count() -> None:
    store = InMemoryKeyStore()
    create = CreateKey(keys=store).execute
    a = create(CreateKeyRequest(name="team-a", scopes=("query", "ingest"))).key
    b = create(CreateKeyRequest(name="team-b", scopes=("query",))).key
    with app_client(fake_settings(limits={"search": "2/hour"}), overrides={"key_store": store}) as c:
        c.post("/v1/collections/kb/documents", json=DOC, headers={"Authorization": f"Bearer {a}"})

        def search(key: str) -> int:
            return c.post(
                "/v1/collections/kb/search", json=SEARCH, headers={"Authorization": f"Bearer {key}"}
            ).status_code

        assert [search(a) for _ in range(3)] == [200, 200, 429]
        assert [search(b) for _ in range(3)] == [200, 200, 429]


def test_limits_can_be_switched_off() -> None:
    with app_client(fake_settings(limits={"enabled": False, "search": "1/hour"})) as c:
        c.post("/v1/collections/kb/documents", json=DOC)
        rs = [c.post("/v1/collections/kb/search", json=SEARCH) for _ in range(3)]
        assert [r.status_code for r in rs] == [200, 200, 200]
        assert "ratelimit-limit" not in rs[0].headers


def test_a_spent_token_budget_is_429_with_the_reset_time() -> None:
    with app_client(fake_settings(limits={"daily_tokens_per_key": 1})) as c:
        c.post("/v1/collections/kb/documents", json=DOC)
        assert c.post("/v1/collections/kb/query", json=QUESTION).status_code == 200  # crosses the budget
        for body in (QUESTION, {**QUESTION, "stream": True}):
            r = c.post("/v1/collections/kb/query", json=body)
            problem = _problem(r, 429, "token_budget_exhausted")
            assert problem["details"]["resets_at"].endswith("T00:00:00Z")
            assert 1 <= int(r.headers["retry-after"]) <= 86_400
        assert c.post("/v1/collections/kb/search", json=SEARCH).status_code == 200  # search spends no tokens


async def test_generations_beyond_the_queue_get_503_server_busy_at_once() -> None:
    app = fake_app(
        fake_settings(limits={"query": "100/minute"}, llm={"max_concurrent": 1, "max_queue": 1}),
        overrides={"llm": ScriptedLanguageModel(token_delay_s=0.05)},
    )
    # requests run concurrently in this event loop; httpx types its ASGI app looser than Litestar's __call__
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=LOOPBACK_BASE_URL) as c:
        await c.post("/v1/collections/kb/documents", json=DOC)
        rs = await asyncio.gather(*(c.post("/v1/collections/kb/query", json=QUESTION) for _ in range(4)))
    assert sorted(r.status_code for r in rs) == [200, 200, 503, 503]
    busy = next(r for r in rs if r.status_code == 503)
    _problem(busy, 503, "server_busy")
    assert busy.headers["retry-after"] == "2"


def test_redis_down_serves_requests_under_the_process_limit_and_refuses_budgets() -> None:
    dead = {"url": f"redis://127.0.0.1:{free_port()}/0"}
    limits = {"storage": "redis", "search": "2/hour", "daily_tokens_per_key": 1000}
    with app_client(fake_settings(limits=limits, redis=dead)) as c:
        assert c.post("/v1/collections/kb/documents", json=DOC).status_code == 201
        assert [c.post("/v1/collections/kb/search", json=SEARCH).status_code for _ in range(3)] == [200, 200, 429]
        r = c.post("/v1/collections/kb/query", json=QUESTION)
        _problem(r, 503, "budget_unavailable")
        assert "retry-after" in r.headers


def test_redis_down_can_refuse_limited_routes() -> None:
    dead = {"url": f"redis://127.0.0.1:{free_port()}/0"}
    closed = {"storage": "redis", "requests_on_redis_failure": "closed"}
    with app_client(fake_settings(limits=closed, redis=dead)) as c:
        _problem(c.post("/v1/collections/kb/search", json=SEARCH), 503, "rate_limiter_unavailable")
        assert c.get("/v1/collections").status_code == 200  # unlimited routes do not need Redis
