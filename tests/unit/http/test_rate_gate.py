"""When a request counts against its caller's rate limit, and how much.

- A request refused for lack of permission never counts: the scope (403) and the collection in the path are
  checked before counting; a chat model's collection and a session's owner are checked by the use case, which
  admits the request only then.
- ``POST /v1/sessions`` is rate limited (``limits.sessions``) and a key keeps at most ``sessions.max_per_key``
  live sessions (429 ``too_many_sessions``).
- ``/v1/embeddings`` costs one unit per text, ingestion one per 10,000 characters (or bytes of files); a request
  costing more than a whole window is 413 ``request_exceeds_rate_limit``.
"""

from __future__ import annotations

import io
from typing import Any

from litestar.testing import TestClient

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import LOOPBACK_BASE_URL, AppClient, app_client, fake_settings

DOC = {"documents": [{"id": "eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}
HIGH = "1000/hour"


class World:
    def __init__(self, *, limits: dict[str, Any], sessions: dict[str, Any] | None = None) -> None:
        self.keys = InMemoryKeyStore()
        create = CreateKey(keys=self.keys).execute
        self.admin = create(CreateKeyRequest(name="admin", scopes=("admin",))).key
        self.narrow = create(CreateKeyRequest(name="narrow", scopes=("query",), collections=("other",))).key
        self.ingest_only = create(CreateKeyRequest(name="writer", scopes=("ingest",))).key
        self.reader = create(CreateKeyRequest(name="reader", scopes=("query",))).key
        self.settings = fake_settings(limits=limits, sessions=sessions or {})

    def client(self) -> AppClient:
        return app_client(self.settings, overrides={"key_store": self.keys})


def h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def chat(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "How tall is the tower?"}]}


def test_requests_refused_for_lack_of_permission_never_count() -> None:
    w = World(limits={"query": "2/hour", "search": "2/hour", "sessions": "2/hour", "ingest": HIGH})
    with w.client() as c:
        assert c.post("/v1/collections/kb/documents", json=DOC, headers=h(w.admin)).status_code == 201
        assert c.post("/v1/collections/other/documents", json=DOC, headers=h(w.admin)).status_code == 201
        admins = c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.admin)).json()["id"]
        for _ in range(4):
            # the use case's rules: a chat model's collection, a session's collection and its owner
            assert c.post("/v1/chat/completions", json=chat("rag:kb"), headers=h(w.narrow)).status_code == 404
            assert c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.narrow)).status_code == 404
            r = c.post(f"/v1/sessions/{admins}/messages", json={"question": "Tall?"}, headers=h(w.narrow))
            assert r.status_code == 404
            # the middleware's: the collection in the path, the scope
            assert c.post("/v1/collections/kb/search", json={"query": "x"}, headers=h(w.narrow)).status_code == 404
            r = c.post("/v1/collections/kb/search", json={"query": "x"}, headers=h(w.ingest_only))
            assert r.status_code == 403
        # every limit of the narrow key is untouched: two allowed each, then 429
        asked = [c.post("/v1/chat/completions", json=chat("rag:other"), headers=h(w.narrow)) for _ in range(3)]
        assert [r.status_code for r in asked] == [200, 200, 429]
        assert asked[0].headers["ratelimit-remaining"] == "1"
        created = [c.post("/v1/sessions", json={"collection": "other"}, headers=h(w.narrow)) for _ in range(3)]
        assert [r.status_code for r in created] == [201, 201, 429]
        searched = [c.post("/v1/collections/other/search", json={"query": "x"}, headers=h(w.narrow)) for _ in range(3)]
        assert [r.status_code for r in searched] == [200, 200, 429]


def test_a_session_question_counts_once_the_session_is_the_keys_own() -> None:
    w = World(limits={"query": "2/hour", "ingest": HIGH, "sessions": HIGH})
    with w.client() as c:
        c.post("/v1/collections/kb/documents", json=DOC, headers=h(w.admin))
        mine = c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.reader)).json()["id"]
        admins = c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.admin)).json()["id"]
        for _ in range(3):
            r = c.post(f"/v1/sessions/{admins}/messages", json={"question": "Tall?"}, headers=h(w.reader))
            assert r.status_code == 404
        statuses = []
        for stream in (False, True, False):
            body = {"question": "How tall?", "stream": stream}
            statuses.append(c.post(f"/v1/sessions/{mine}/messages", json=body, headers=h(w.reader)).status_code)
        assert statuses == [200, 200, 429]


def test_creating_sessions_is_rate_limited() -> None:
    w = World(limits={"sessions": "2/hour", "ingest": HIGH})
    with w.client() as c:
        c.post("/v1/collections/kb/documents", json=DOC, headers=h(w.admin))
        rs = [c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.reader)) for _ in range(3)]
        assert [r.status_code for r in rs] == [201, 201, 429]
        assert rs[0].headers["ratelimit-limit"] == "2"
        error = rs[2].json()["error"]
        assert (error["code"], error["type"]) == ("rate_limited", "rate_limit_error")
        assert int(rs[2].headers["retry-after"]) >= 1
        assert c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.admin)).status_code == 201  # per key


def test_a_key_keeps_at_most_max_per_key_live_sessions() -> None:
    w = World(limits={"sessions": HIGH, "ingest": HIGH}, sessions={"max_per_key": 2, "ttl_s": 3600})
    with w.client() as c:
        c.post("/v1/collections/kb/documents", json=DOC, headers=h(w.admin))
        ids = [c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.reader)).json()["id"] for _ in range(2)]
        r = c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.reader))
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "too_many_sessions"
        assert 3500 <= int(r.headers["retry-after"]) <= 3600  # when the least recently used one expires
        assert len(c.get("/v1/sessions", headers=h(w.reader)).json()["data"]) == 2  # nothing stored
        assert c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.admin)).status_code == 201  # per key
        assert c.delete(f"/v1/sessions/{ids[0]}", headers=h(w.reader)).status_code == 204
        assert c.post("/v1/sessions", json={"collection": "kb"}, headers=h(w.reader)).status_code == 201


def embed(c: TestClient, key: str, n: int) -> Any:  # type: ignore[type-arg]
    return c.post("/v1/embeddings", json={"model": "embedding", "input": ["some text"] * n}, headers=h(key))


def test_embeddings_cost_one_unit_per_text() -> None:
    w = World(limits={"embeddings": "10/hour", "search": "1/hour"})
    with w.client() as c:
        first = embed(c, w.reader, 4)
        assert (first.status_code, first.headers["ratelimit-remaining"]) == (200, "6")
        second = embed(c, w.reader, 6)
        assert (second.status_code, second.headers["ratelimit-remaining"]) == (200, "0")
        spent = embed(c, w.reader, 1)
        assert (spent.status_code, spent.json()["error"]["code"]) == (429, "rate_limited")
        assert "texts" in spent.json()["error"]["message"]
        too_big = embed(c, w.admin, 11)  # more than a whole window: waiting never helps
        assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "request_exceeds_rate_limit")
        assert embed(c, w.admin, 10).status_code == 200  # the refused one counted nothing
        wrong = c.post("/v1/embeddings", json={"model": "nope", "input": ["x"] * 5}, headers=h(w.narrow))
        assert wrong.status_code == 404
        invalid = c.post("/v1/embeddings", json={"model": "embedding", "input": ["x", ""] * 3}, headers=h(w.narrow))
        assert invalid.status_code == 400  # neither an unknown model nor an invalid input costs anything
        assert embed(c, w.narrow, 10).headers["ratelimit-remaining"] == "0"


def test_ingestion_costs_one_unit_per_ten_thousand_characters_or_bytes() -> None:
    w = World(limits={"ingest": "5/hour"})
    with w.client() as c:
        doc = {"documents": [{"id": "long", "text": "word " * 5_000}]}  # 25,000 characters: 3 units
        r = c.post("/v1/collections/kb/documents", json=doc, headers=h(w.admin))
        assert (r.status_code, r.headers["ratelimit-remaining"]) == (201, "2")
        upload = {"files": ("notes.txt", io.BytesIO(b"w" * 20_001), "text/plain")}  # 3 units
        r = c.post("/v1/collections/kb/files", files=upload, headers=h(w.admin))
        assert (r.status_code, r.headers["content-type"]) == (429, "application/problem+json")
        assert r.json()["details"]["route"] == "ingest"
        small = {"files": ("small.txt", io.BytesIO(b"A few words."), "text/plain")}  # 1 unit
        r = c.post("/v1/collections/kb/files", files=small, headers=h(w.admin))
        assert (r.status_code, r.headers["ratelimit-remaining"]) == (201, "1")
        huge = {"documents": [{"id": "huge", "text": "word " * 12_000}]}  # 60,000 characters: 6 units > 5
        r = c.post("/v1/collections/kb/documents", json=huge, headers=h(w.ingest_only))
        assert (r.status_code, r.json()["code"]) == (413, "request_exceeds_rate_limit")
        assert r.json()["details"] == {"route": "ingest", "cost": 6, "limit": 5, "window_s": 3600}


def test_a_gate_counts_once_and_a_route_that_never_charges_is_still_counted() -> None:
    from litestar import Litestar, Request, post
    from litestar.middleware import DefineMiddleware

    from autbot.adapters.quotas.in_process import InProcessRateLimiter
    from autbot.entrypoints.http.errors.problems import EXCEPTION_HANDLERS
    from autbot.entrypoints.http.middleware.rate_limits import RateLimitMiddleware, gate_of, limited

    @post("/twice", opt=limited("search", charged=True), status_code=200)
    async def twice(request: Request[Any, Any, Any]) -> str:
        await gate_of(request)(2)
        await gate_of(request)(2)  # the same request: counted once
        return "ok"

    @post("/forgets", opt=limited("query", charged=True), status_code=200)
    async def forgets() -> str:
        return "ok"

    limiter = InProcessRateLimiter({"search": "5/hour", "query": "5/hour"})
    app = Litestar(
        [twice, forgets],
        middleware=[DefineMiddleware(RateLimitMiddleware, limiter=limiter)],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    with TestClient(app, base_url=LOOPBACK_BASE_URL) as c:
        assert c.post("/twice").headers["ratelimit-remaining"] == "3"
        assert c.post("/forgets").headers["ratelimit-remaining"] == "4"  # counted as its response starts
