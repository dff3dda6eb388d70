"""Golden sets and evaluations over HTTP: exact forms, validation (400 with stable codes), visibility (404),
scopes, and the latest figures on ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.domain import limits
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import AppClient, app_client, fake_settings

DOCS = {
    "documents": [
        {"id": "d1", "text": "astronomy telescopes orbit"},
        {"id": "d2", "text": "gardening tomatoes soil"},
        {"id": "d3", "text": "sailing harbour wind"},
    ]
}
GOLDEN = {
    "queries": [{"id": "q1", "text": "tomatoes"}, {"id": "q2", "text": "telescopes"}],
    "qrels": {"q1": {"d2": 1}, "q2": {"d1": 2, "d9": 1}},
}
Client = AppClient


class World:
    def __init__(self, client: Client, keys: dict[str, str]) -> None:
        self.client = client
        self.keys = keys

    def call(self, method: str, path: str, key: str = "admin", *, headers_json: bool = False, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[key]}"}
        if headers_json:
            headers["Content-Type"] = "application/json"
        return self.client.request(method, f"/v1/collections/kb{path}", headers=headers, **kwargs)


@pytest.fixture
def world() -> Iterator[World]:
    store = InMemoryKeyStore()
    create = CreateKey(keys=store).execute
    keys = {s: create(CreateKeyRequest(name=s, scopes=(s,))).key for s in ("query", "ingest", "admin")}
    keys["other"] = create(CreateKeyRequest(name="other", scopes=("admin",), collections=("elsewhere",))).key
    with app_client(overrides={"key_store": store}) as client:
        w = World(client, keys)
        assert w.call("POST", "/documents", json=DOCS).status_code == 201
        yield w


def test_put_then_get_the_golden_set(world: World) -> None:
    stored = world.call("PUT", "/golden-set", "ingest", json=GOLDEN)
    assert stored.status_code == 200, stored.text
    assert {k: stored.json()[k] for k in ("collection", "queries", "judgements")} == {
        "collection": "kb",
        "queries": 2,
        "judgements": 3,
    }
    got = world.call("GET", "/golden-set", "query").json()
    assert got["queries"] == GOLDEN["queries"]
    assert got["qrels"] == GOLDEN["qrels"]


def test_an_evaluation_reports_each_generation_is_stored_and_exported(world: World) -> None:
    world.call("PUT", "/golden-set", json=GOLDEN)
    r = world.call("POST", "/evaluations", "ingest", json={"mode": "keyword"})
    assert r.status_code == 200, r.text
    body = r.json()
    live = body["generations"]["live"]
    assert body["mode"] == "keyword"
    assert live["queries"] == 2
    assert live["mrr_at_10"] == 1.0
    assert live["recall_at_100"] == pytest.approx(0.75)  # q2's d9 does not exist
    assert 0 < live["ndcg_at_10"] < 1
    assert live["latency_p99_ms"] >= live["latency_p50_ms"] >= 0
    listed = world.call("GET", "/evaluations", "query").json()["evaluations"]
    assert [e["id"] for e in listed] == [body["id"]]
    metrics = world.client.get("/metrics", headers={"Authorization": f"Bearer {world.keys['admin']}"}).text
    line = 'autbot_evaluation_score{collection="kb",generation="live",metric="mrr_at_10"} 1.0'
    assert line in metrics
    assert 'autbot_evaluation_search_latency_seconds{collection="kb",generation="live",quantile="0.99"}' in metrics


def test_an_evaluation_of_an_empty_body_uses_the_search_default(world: World) -> None:
    world.call("PUT", "/golden-set", json=GOLDEN)
    r = world.call("POST", "/evaluations", json={})
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == limits.DEFAULT_SEARCH_MODE
    empty = world.call("POST", "/evaluations", headers_json=True)
    assert empty.status_code == 200, empty.text
    # a body route wants a JSON media type (a cross-site form cannot start an evaluation)
    assert world.call("POST", "/evaluations").status_code == 415


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"queries": [], "qrels": {}}, "invalid_golden_set"),
        ({"queries": [{"id": "q1", "text": "a"}], "qrels": {"q2": {"d1": 1}}}, "invalid_golden_set"),
        ({"queries": [{"id": "q1", "text": "a"}], "qrels": {"q1": {"d1": 101}}}, "invalid_golden_set"),
        ({"queries": [{"id": "q 1", "text": "a"}], "qrels": {"q 1": {"d1": 1}}}, "invalid_golden_set"),
        ({"queries": [{"id": "q1", "text": "a"}], "qrels": {"q1": {"d1": 1.5}}}, "invalid_input"),
        ({"queries": [{"id": "q1"}], "qrels": {}}, "invalid_input"),
        ({"queries": [], "qrels": {}, "extra": 1}, "invalid_input"),
    ],
)
def test_invalid_golden_sets_are_400_with_a_stable_code(world: World, body: Any, code: str) -> None:
    r = world.call("PUT", "/golden-set", json=body)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


def test_too_many_queries_are_refused(world: World) -> None:
    queries = [{"id": f"q{i}", "text": "t"} for i in range(limits.MAX_GOLDEN_QUERIES + 1)]
    r = world.call("PUT", "/golden-set", json={"queries": queries, "qrels": {"q0": {"d1": 1}}})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_golden_set"


def test_no_golden_set_yet_is_404(world: World) -> None:
    for method, path in (("GET", "/golden-set"), ("POST", "/evaluations")):
        r = world.call(method, path, json={} if method == "POST" else None)
        assert r.status_code == 404
        assert r.json()["code"] == "golden_set_not_found"
    assert world.call("GET", "/evaluations").json() == {"evaluations": []}


def test_a_collection_the_key_cannot_see_is_404(world: World) -> None:
    world.call("PUT", "/golden-set", json=GOLDEN)
    for method, path, body in (
        ("PUT", "/golden-set", GOLDEN),
        ("GET", "/golden-set", None),
        ("POST", "/evaluations", {}),
        ("GET", "/evaluations", None),
    ):
        r = world.call(method, path, "other", json=body)
        assert r.status_code == 404, (method, path)
        assert r.json()["code"] == "collection_not_found"
    r = world.client.post("/v1/collections/nope/evaluations", json={}, headers={"X-API-Key": world.keys["admin"]})
    assert r.json()["code"] == "collection_not_found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/golden-set", {"ingest", "admin"}),
        ("GET", "/golden-set", {"query", "admin"}),
        ("POST", "/evaluations", {"ingest", "admin"}),
        ("GET", "/evaluations", {"query", "admin"}),
    ],
)
def test_scopes(world: World, method: str, path: str, allowed: set[str]) -> None:
    world.call("PUT", "/golden-set", json=GOLDEN)
    for scope in ("query", "ingest", "admin"):
        r = world.call(method, path, scope, json={"PUT": GOLDEN, "POST": {}}.get(method))
        assert (r.status_code < 300) == (scope in allowed), (scope, r.status_code, r.text)
        if scope not in allowed:
            assert r.status_code == 403


def test_deleting_the_collection_forgets_its_golden_set(world: World) -> None:
    world.call("PUT", "/golden-set", json=GOLDEN)
    assert world.call("DELETE", "").status_code == 204
    assert world.call("POST", "/documents", json=DOCS).status_code == 201
    assert world.call("GET", "/golden-set").json()["code"] == "golden_set_not_found"


def test_an_evaluation_costs_one_search_per_golden_query() -> None:
    store = InMemoryKeyStore()
    key = CreateKey(keys=store).execute(CreateKeyRequest(name="ops", scopes=("admin",))).key
    settings = fake_settings(limits={"search": "3/minute"})
    with app_client(settings, overrides={"key_store": store}) as client:
        w = World(client, {"admin": key})
        w.call("POST", "/documents", json=DOCS)
        w.call("PUT", "/golden-set", json=GOLDEN)  # 2 queries
        assert w.call("POST", "/evaluations", json={}).status_code == 200
        spent = w.call("POST", "/evaluations", json={})  # 2 more do not fit the 1 left
        assert spent.status_code == 429
        four = [{"id": f"q{i}", "text": "tomatoes"} for i in range(4)]
        w.call("PUT", "/golden-set", json={"queries": four, "qrels": {"q0": {"d2": 1}}})
        too_big = w.call("POST", "/evaluations", json={})
        assert too_big.status_code == 413
        assert too_big.json()["code"] == "request_exceeds_rate_limit"
