"""``limits.auth_failures``: wrong keys from one address are counted; past the limit that address gets 429 with
``Retry-After`` for any key not already known good, and the key store is not asked; other addresses and known
keys are untouched; with limits off nothing is counted."""

from __future__ import annotations

import asyncio
from typing import Any

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.domain.auth import ApiKey
from autbot.use_cases.authenticate import Authenticate
from autbot.use_cases.keys import CreateKey, CreateKeyRequest, RevokeKey, RevokeKeyRequest
from tests.support.app_client import AppClient, app_client, fake_settings


class CountingKeyStore(InMemoryKeyStore):
    """The in-memory store, counting key lookups."""

    lookups = 0

    def get(self, key_id: str) -> ApiKey | None:
        self.lookups += 1
        return super().get(key_id)


def _client(store: CountingKeyStore, clock: list[float] | None = None, **limits: Any) -> AppClient:
    settings = fake_settings(limits={"auth_failures": "3/minute", **limits})
    now = clock or [0.0]
    authenticate = Authenticate(keys=store, always_required=False, clock=lambda: now[0])  # the check cache's clock
    return app_client(settings, overrides={"key_store": store, "authenticate": authenticate})


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_wrong_keys_past_the_limit_get_429_without_a_store_lookup() -> None:
    store = CountingKeyStore()
    good = CreateKey(keys=store).execute(CreateKeyRequest(name="reader", scopes=("query", "admin"))).key
    fresh = CreateKey(keys=store).execute(CreateKeyRequest(name="fresh", scopes=("query",))).key
    clock = [0.0]
    wrong = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    with _client(store, clock) as http:
        assert http.get("/v1/collections", headers=_bearer(good)).status_code == 200  # known good from now on
        assert [http.get("/v1/collections", headers=_bearer(wrong)).status_code for _ in range(3)] == [401] * 3
        r = http.get("/v1/collections", headers=_bearer(wrong))
        assert r.status_code == 429
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "rate_limited"
        assert "invalid API key" in r.json()["detail"]
        assert 1 <= int(r.headers["retry-after"]) <= 60
        lookups = store.lookups
        for key in (wrong, fresh, "abk_nonsense"):
            assert http.get("/v1/collections", headers=_bearer(key)).status_code == 429
        assert store.lookups == lookups  # refused before the store was asked
        clock[0] += 10  # past the key check cache (2 s): a key in use is looked up again, and passes
        assert http.get("/v1/collections", headers=_bearer(good)).status_code == 200
        assert store.lookups > lookups
        assert http.get("/v1/collections").status_code == 401  # no key at all: nothing to guess, not counted
        metrics = http.get("/metrics", headers=_bearer(good)).text
        assert 'autbot_rate_limited_total{limit="auth_failures"}' in metrics
        RevokeKey(keys=store).execute(RevokeKeyRequest(name="reader"))
        clock[0] += 10
        lookups = store.lookups
        r = http.get("/v1/collections", headers=_bearer(good))
        assert store.lookups > lookups  # known, so looked up: revoked, so it fails (and counts, past the limit)
        assert r.status_code == 429


def test_the_openai_routes_answer_429_in_openais_envelope() -> None:
    store = CountingKeyStore()
    CreateKey(keys=store).execute(CreateKeyRequest(name="reader", scopes=("query",)))
    with _client(store) as http:
        statuses = [http.get("/v1/models", headers=_bearer("sk-wrong")).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        r = http.get("/v1/models", headers=_bearer("sk-wrong"))
        assert r.json()["error"]["code"] == "rate_limited"
        assert "retry-after" in r.headers


def test_with_limits_off_wrong_keys_are_only_401() -> None:
    store = CountingKeyStore()
    CreateKey(keys=store).execute(CreateKeyRequest(name="reader", scopes=("query",)))
    with _client(store, enabled=False) as http:
        assert {http.get("/v1/collections", headers=_bearer("sk-wrong")).status_code for _ in range(6)} == {401}


async def test_blocks_expire_and_both_memories_are_bounded(monkeypatch: Any) -> None:
    from autbot.adapters.quotas.in_process import InProcessRateLimiter
    from autbot.domain.errors import RateLimited, Unauthorized
    from autbot.entrypoints.http.middleware import auth as security

    store = CountingKeyStore()
    good = CreateKey(keys=store).execute(CreateKeyRequest(name="reader", scopes=("query",))).key
    other = CreateKey(keys=store).execute(CreateKeyRequest(name="other", scopes=("query",))).key
    monkeypatch.setattr(security, "MAX_BLOCKED_ADDRESSES", 1)
    monkeypatch.setattr(security, "MAX_KNOWN_KEYS", 1)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    limiter = InProcessRateLimiter({"auth_failures": "1/second"})
    middleware = security.AuthMiddleware(app, Authenticate(keys=store, always_required=True), limiter=limiter)

    async def call(address: str, key: str) -> str:
        scope: dict[str, Any] = {"type": "http", "path": "/", "headers": [(b"authorization", f"Bearer {key}".encode())]}
        scope["client"] = (address, 1)
        try:
            await middleware(scope, None, None)  # type: ignore[arg-type]
        except RateLimited:
            return "429"
        except Unauthorized:
            return "401"
        return "200"

    assert [await call("10.0.0.1", k) for k in (good, other)] == ["200", "200"]
    assert len(middleware._known) == 1  # bounded: the older key was forgotten
    assert [await call("10.0.0.1", "wrong") for _ in range(2)] == ["401", "429"]
    assert [await call("10.0.0.2", "wrong") for _ in range(2)] == ["401", "429"]
    assert list(middleware._blocked) == ["10.0.0.2"]  # bounded: the older address was forgotten
    await asyncio.sleep(1.1)  # the window frees a failure: the block ends
    assert await call("10.0.0.2", "wrong") == "401"
    assert "10.0.0.2" not in middleware._blocked
