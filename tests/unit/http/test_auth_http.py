"""The auth matrix over every route: no key, bad key, revoked key, wrong scope, other collection, right key."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.use_cases.keys import CreateKey, CreateKeyRequest, RevokeKey, RevokeKeyRequest
from tests.support.app_client import AppClient, app_client, fake_app, fake_settings


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    scope: str
    json: dict[str, Any] | None = None
    files: bool = False


ROUTES = [
    Route("GET", "/v1/collections", "query"),
    Route("DELETE", "/v1/collections/kb", "admin"),
    Route("POST", "/v1/collections/kb/documents", "ingest", json={"documents": [{"id": "d2", "text": "More words."}]}),
    Route("POST", "/v1/collections/kb/files", "ingest", files=True),
    Route("GET", "/v1/collections/kb/documents", "query"),
    Route("GET", "/v1/collections/kb/documents/d1", "query"),
    Route("DELETE", "/v1/collections/kb/documents/d1", "ingest"),
    Route("POST", "/v1/collections/kb/search", "query", json={"query": "words"}),
    Route("POST", "/v1/collections/kb/query", "query", json={"question": "What words?"}),
]


class Keys:
    def __init__(self) -> None:
        self.store = InMemoryKeyStore()
        create = CreateKey(keys=self.store).execute
        self.by_scope = {s: create(CreateKeyRequest(name=s, scopes=(s,))).key for s in ("query", "ingest", "admin")}
        self.other = create(CreateKeyRequest(name="other", scopes=("admin",), collections=("elsewhere",))).key
        self.revoked = create(CreateKeyRequest(name="gone", scopes=("admin",))).key
        RevokeKey(keys=self.store).execute(RevokeKeyRequest(name="gone"))


@pytest.fixture
def world() -> Iterator[tuple[AppClient, Keys]]:
    keys = Keys()
    with app_client(overrides={"key_store": keys.store}) as client:
        yield client, keys


def call(client: AppClient, keys: Keys, route: Route, key: str | None, *, header: str = "bearer") -> Any:
    """Seed collection kb (with the admin key: it may have been deleted by the last call), then call the route."""
    seed = {"documents": [{"id": "d1", "text": "Some words about things."}]}
    client.post(
        "/v1/collections/kb/documents", json=seed, headers={"Authorization": f"Bearer {keys.by_scope['admin']}"}
    )
    headers = {}
    if key is not None:
        headers = {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-API-Key": key}
    kwargs: dict[str, Any] = {"headers": headers}
    if route.json is not None:
        kwargs["json"] = route.json
    if route.files:
        kwargs["files"] = {"files": ("notes.txt", io.BytesIO(b"Uploaded words."), "text/plain")}
    return client.request(route.method, route.path, **kwargs)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_auth_matrix(world: tuple[AppClient, Keys], route: Route) -> None:
    client, keys = world
    cases: list[tuple[str, str | None, int]] = [
        ("no key", None, 401),
        ("malformed key", "not-a-key", 401),
        ("revoked key", keys.revoked, 401),
    ]
    if "/kb" in route.path:  # a collection outside the key's list is invisible
        cases.append(("other collection", keys.other, 404))
    cases += [(f"{s} key", k, 403) for s, k in keys.by_scope.items() if s not in (route.scope, "admin")]
    bodies = []
    for label, key, status in cases:
        r = call(client, keys, route, key)
        assert r.status_code == status, (label, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), label
        if status == 401:
            assert r.headers["www-authenticate"].startswith("Bearer")
            bodies.append({k: v for k, v in r.json().items() if k not in ("instance", "request_id")})
        if status == 404:
            assert r.json()["code"] == "collection_not_found"  # invisible, not forbidden
    assert all(b == bodies[0] for b in bodies)  # one 401 body whatever the reason
    for key in {keys.by_scope[route.scope], keys.by_scope["admin"]}:
        for header in ("bearer", "x-api-key"):
            r = call(client, keys, route, key, header=header)
            assert r.status_code < 300, (route, header, r.status_code, r.text)


def test_listing_shows_only_the_keys_collections(world: tuple[AppClient, Keys]) -> None:
    client, keys = world
    admin = {"Authorization": f"Bearer {keys.by_scope['admin']}"}
    for name in ("kb", "elsewhere"):
        doc = {"documents": [{"id": "d", "text": "Words."}]}
        assert client.post(f"/v1/collections/{name}/documents", json=doc, headers=admin).status_code == 201

    def names(key: str) -> list[str]:
        listed = client.get("/v1/collections", headers={"X-API-Key": key}).json()["collections"]
        return [c["name"] for c in listed]

    assert names(keys.by_scope["admin"]) == ["elsewhere", "kb"]
    assert names(keys.other) == ["elsewhere"]


def test_probes_stay_open_and_say_little_to_anonymous_callers(world: tuple[AppClient, Keys]) -> None:
    client, keys = world
    assert client.get("/health").status_code == 200
    anonymous = client.get("/ready")
    assert anonymous.status_code == 200
    assert all(set(check) == {"ok"} for check in anonymous.json()["checks"].values())
    detailed = client.get("/ready", headers={"Authorization": f"Bearer {keys.by_scope['admin']}"})
    assert all("detail" in check for check in detailed.json()["checks"].values())
    limited = client.get("/ready", headers={"Authorization": f"Bearer {keys.by_scope['query']}"})
    assert all(set(check) == {"ok"} for check in limited.json()["checks"].values())
    assert client.get("/ready", headers={"Authorization": "Bearer wrong"}).status_code == 200


def test_an_open_loopback_server_needs_no_key(client: AppClient) -> None:
    assert client.get("/v1/collections").status_code == 200
    # a presented key changes nothing on an open server (the OpenAI SDK always sends a placeholder)
    assert client.get("/v1/collections", headers={"Authorization": "Bearer wrong"}).status_code == 200


def test_keys_are_required_beyond_loopback_and_when_asked() -> None:
    for extra in ({"server": {"host": "0.0.0.0"}}, {"auth": {"required": True}}):
        with app_client(fake_settings(**extra)) as client:
            assert client.get("/v1/collections").status_code == 401
            assert client.get("/health").status_code == 200


def test_a_profile_can_refuse_to_start_without_keys() -> None:
    from autbot.domain.errors import ConfigurationError

    settings = fake_settings(auth={"refuse_start_without_keys": True})
    with pytest.raises(ConfigurationError, match="keys create"):
        fake_app(settings)
