"""Document access lists over HTTP: ingest bodies and upload forms carry ``access``; search, answers, chat
completions, document reads, listings and collection counts show a caller only what its groups and name admit."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import AppClient, app_client

DOCS = [
    {"id": "open", "text": "Quarterly budget notes for everyone.", "metadata": {"lang": "en"}},
    {"id": "fin", "text": "Quarterly budget salaries, finance only.", "access": {"groups": ["finance"]}},
    {"id": "ali", "text": "Quarterly budget review by alice.", "access": {"subjects": ["alice"]}},
]


class World:
    """Keys made before the app starts (it caches whether any exist), then the app's client."""

    client: AppClient

    def __init__(self, store: InMemoryKeyStore) -> None:
        create = CreateKey(keys=store).execute
        self.keys = {
            "admin": create(CreateKeyRequest(name="root", scopes=("admin",))).key,
            "finance": create(CreateKeyRequest(name="fin-bot", scopes=("query", "ingest"), groups=("finance",))).key,
            "alice": create(CreateKeyRequest(name="alice", scopes=("query",))).key,
            "plain": create(CreateKeyRequest(name="plain", scopes=("query", "ingest"))).key,
        }

    def call(self, method: str, path: str, who: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[who]}"}
        return self.client.request(method, f"/v1/collections/kb{path}", headers=headers, **kw)

    def search_ids(self, who: str, **body: Any) -> list[str]:
        res = self.call("POST", "/search", who, json={"query": "quarterly budget", "top_k": 10, **body})
        assert res.status_code == 200, res.text
        return sorted(r["document_id"] for r in res.json()["results"])


@pytest.fixture
def world() -> Iterator[World]:
    store = InMemoryKeyStore()
    w = World(store)
    with app_client(overrides={"key_store": store}) as client:
        w.client = client
        assert w.call("POST", "/documents", "admin", json={"documents": DOCS}).status_code == 201
        yield w


def test_search_shows_each_caller_what_its_groups_and_name_admit(world: World) -> None:
    assert world.search_ids("admin") == ["ali", "fin", "open"]
    assert world.search_ids("finance") == ["fin", "open"]
    assert world.search_ids("alice") == ["ali", "open"]
    assert world.search_ids("plain") == ["open"]
    for mode in ("keyword", "hybrid"):
        assert world.search_ids("plain", mode=mode) == ["open"]


def test_results_never_show_the_access_flags(world: World) -> None:
    res = world.call("POST", "/search", "admin", json={"query": "budget salaries", "top_k": 10})
    for r in res.json()["results"]:
        assert not any(k.startswith("_acl") for k in r["metadata"])


def test_answers_cite_only_visible_documents(world: World) -> None:
    res = world.call("POST", "/query", "plain", json={"question": "What about the quarterly budget?", "top_k": 10})
    assert res.status_code == 200, res.text
    assert {c["document_id"] for c in res.json()["citations"]} == {"open"}
    streamed = world.call("POST", "/query", "plain", json={"question": "Quarterly budget?", "stream": True})
    assert '"fin"' not in streamed.text
    assert '"ali"' not in streamed.text


def test_chat_completions_over_rag_see_only_visible_chunks(world: World) -> None:
    body = {"model": "rag:kb", "messages": [{"role": "user", "content": "Quarterly budget?"}]}
    res = world.client.post(
        "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {world.keys['plain']}"}
    )
    assert res.status_code == 200, res.text
    assert "finance only" not in res.text
    assert "alice" not in res.text


def test_a_hidden_document_is_404_to_read_and_to_delete_and_absent_from_listings(world: World) -> None:
    assert world.call("GET", "/documents/fin", "plain").status_code == 404
    assert world.call("GET", "/documents/nope", "plain").json()["code"] == "document_not_found"
    assert world.call("GET", "/documents/fin", "plain").json()["code"] == "document_not_found"
    assert world.call("DELETE", "/documents/fin", "plain").status_code == 404
    got = world.call("GET", "/documents/fin", "finance").json()
    assert got["access"] == {"groups": ["finance"], "subjects": []}
    assert not any(k.startswith("_acl") for k in got["metadata"])
    assert world.call("GET", "/documents/open", "plain").json()["access"] is None
    page = world.call("GET", "/documents", "plain").json()
    assert ([d["id"] for d in page["documents"]], page["total"]) == (["open"], 1)
    assert world.call("GET", "/documents", "admin").json()["total"] == 3


def test_collection_counts_count_only_visible_documents(world: World) -> None:
    def counts(who: str) -> tuple[int, int]:
        res = world.client.get("/v1/collections", headers={"Authorization": f"Bearer {world.keys[who]}"})
        kb = next(c for c in res.json()["collections"] if c["name"] == "kb")
        return kb["documents"], kb["chunks"]

    assert counts("admin")[0] == 3
    assert counts("plain")[0] == 1
    assert counts("finance")[0] == 2


def test_bad_access_lists_are_400_and_flags_cannot_be_forged(world: World) -> None:
    bad: tuple[object, ...] = ({}, {"groups": []}, {"groups": ["has space"]}, {"roles": ["x"]}, {"groups": "finance"})
    for access in bad:
        res = world.call("POST", "/documents", "admin", json={"documents": [{"text": "x", "access": access}]})
        assert res.status_code in (400, 422), (access, res.text)
    forged = {"documents": [{"text": "x", "metadata": {"_acl_g_finance": True}}]}
    assert world.call("POST", "/documents", "admin", json=forged).status_code in (400, 422)


def test_an_upload_form_carries_an_access_part(world: World) -> None:
    files = {"files": ("secret.txt", io.BytesIO(b"Quarterly budget upload for finance."), "text/plain")}
    data = {"access": json.dumps({"groups": ["finance"]})}
    res = world.call("POST", "/files", "finance", files=files, data=data)
    assert res.status_code == 201, res.text
    uploaded = res.json()["documents"][0]["id"]
    assert uploaded in world.search_ids("finance")
    assert uploaded not in world.search_ids("plain")
    bad = world.call("POST", "/files", "finance", files=files, data={"access": "[1]"})
    assert bad.status_code == 400


def test_session_answers_cite_only_visible_documents(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.keys['alice']}"}
    session = world.client.post("/v1/sessions", json={"collection": "kb"}, headers=headers)
    assert session.status_code == 201, session.text
    ask = {"question": "What about the quarterly budget?", "top_k": 10}
    res = world.client.post(f"/v1/sessions/{session.json()['id']}/messages", json=ask, headers=headers)
    assert res.status_code == 200, res.text
    assert {c["document_id"] for c in res.json()["citations"]} == {"open", "ali"}
