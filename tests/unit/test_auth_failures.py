"""``limits.auth_failures``: wrong keys from one address are counted; past the limit that address gets 429 with
``Retry-After`` for any key not already known good, and the key store is not asked; other addresses and known
keys are untouched; with limits off nothing is counted."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.domain.auth import ApiKey
from autbot.entrypoints.http.app import create_app
from autbot.entrypoints.settings import load_settings
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.http import LOOPBACK_BASE_URL

FAKES: dict[str, Any] = {
    "embedder": {"backend": "hashing"},
    "index": {"backend": "memory"},
    "llm": {"backend": "fake"},
    "auth": {"keys_backend": "memory"},
}


class CountingKeyStore(InMemoryKeyStore):
    """The in-memory store, counting key lookups."""

    lookups = 0

    def get(self, key_id: str) -> ApiKey | None:
        self.lookups += 1
        return super().get(key_id)


def _client(store: CountingKeyStore, **limits: Any) -> TestClient:  # type: ignore[type-arg]
    settings = load_settings("local", env={}, overrides={**FAKES, "limits": {"auth_failures": "3/minute", **limits}})
    return TestClient(create_app(settings, overrides={"key_store": store}), base_url=LOOPBACK_BASE_URL)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_wrong_keys_past_the_limit_get_429_without_a_store_lookup() -> None:
    store = CountingKeyStore()
    good = CreateKey(keys=store).execute(CreateKeyRequest(name="reader", scopes=("query", "admin"))).key
    fresh = CreateKey(keys=store).execute(CreateKeyRequest(name="fresh", scopes=("query",))).key
    wrong = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    with _client(store) as http:
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
        assert http.get("/v1/collections", headers=_bearer(good)).status_code == 200  # a known key still passes
        assert http.get("/v1/collections").status_code == 401  # no key at all: nothing to guess, not counted
        metrics = http.get("/metrics", headers=_bearer(good)).text
        assert 'autbot_rate_limited_total{limit="auth_failures"}' in metrics


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
