"""Re-indexing over HTTP on the embedded store (Chroma + SQLite registry) with two fake models: 202 and the job,
the gate's switch, ``GET /v1/collections/{c}``, rollback and explicit activation, audit records, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autbot.adapters.audit.memory import InMemoryAuditLog
from autbot.adapters.embedders.catalogue import PrefixedEmbedder, ServedModel, StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.domain.audit import AuditAction, AuditQuery
from tests.support.app_client import AppClient, app_client, fake_settings

DOCS = {
    "documents": [
        {"id": f"d{i}", "text": f"Document {i} tells of {topic}."}
        for i, topic in enumerate(["rivers and sediment", "mountain glaciers", "desert winds", "ocean tides"] * 3)
    ]
}
GOLDEN = {"queries": [{"id": "q1", "text": "rivers and sediment"}], "qrels": {"q1": {"d0": 1}}}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[AppClient, InMemoryAuditLog]]:
    small, other = (
        HashingEmbedder(dimension=64, model_id="small-id"),
        HashingEmbedder(dimension=32, model_id="other-id"),
    )
    catalogue = StaticEmbedderCatalogue(
        [
            ServedModel(name="small", passages=small, queries=small),
            ServedModel(name="other", passages=other, queries=PrefixedEmbedder(other, "")),
        ],
        default="small",
    )
    s = fake_settings(
        index={"backend": "chroma"},
        storage={"data_dir": str(tmp_path / "data")},
        jobs={"retry_base_s": 0.01, "reindex_batch_size": 5},
    )
    log = InMemoryAuditLog()
    with app_client(s, overrides={"embedders": catalogue, "audit_log": log}) as c:
        assert c.post("/v1/collections/kb/documents", json=DOCS).status_code == 201
        yield c, log


def wait_done(client: AppClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if body["state"] in ("succeeded", "failed", "cancelled"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


def reindex(client: AppClient, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/collections/kb/reindex", json={"embedder": "other", **body})
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["kind"] == "reindex"
    return wait_done(client, job["id"])


def ids_found(client: AppClient, query: str) -> set[str]:
    hits = client.post("/v1/collections/kb/search", json={"query": query, "top_k": 50}).json()["results"]
    return {h["document_id"] for h in hits}


def test_a_reindex_with_a_passing_gate_switches_and_one_call_rolls_back(
    world: tuple[AppClient, InMemoryAuditLog],
) -> None:
    client, log = world
    assert client.put("/v1/collections/kb/golden-set", json=GOLDEN).status_code < 300
    before = ids_found(client, "document")
    done = reindex(client, max_drop=1.0)
    assert done["state"] == "succeeded", done
    assert done["outcome"].startswith("activated"), done
    assert done["counts"]["created"] == len(DOCS["documents"])
    kb = client.get("/v1/collections/kb").json()
    assert (kb["embedding_model"], kb["dimension"], kb["generation"]) == ("other-id", 32, 1)
    states = {g["number"]: g["state"] for g in kb["generations"]}
    assert states == {0: "previous", 1: "live"}
    assert all(g["evaluation"] is not None for g in kb["generations"])
    assert ids_found(client, "document") == before
    # a write after the switch reaches both generations: rollback keeps it
    new = {"documents": [{"id": "late", "text": "A late document about volcanoes."}]}
    assert client.post("/v1/collections/kb/documents", json=new).status_code == 201
    back = client.post("/v1/collections/kb/rollback")
    assert back.status_code == 200, back.text
    kb = client.get("/v1/collections/kb").json()
    assert (kb["embedding_model"], kb["generation"]) == ("small-id", 0)
    assert "late" in ids_found(client, "volcanoes")
    again = client.post("/v1/collections/kb/generations/1/activate")
    assert (again.status_code, again.json()["state"]) == (200, "live")
    assert client.get("/v1/collections/kb").json()["embedding_model"] == "other-id"
    actions = [r.action for r in log.query(AuditQuery(limit=100)).records]
    for action in (AuditAction.COLLECTION_REINDEX, AuditAction.COLLECTION_ROLLBACK, AuditAction.GENERATION_ACTIVATE):
        assert actions.count(action) == 1


def test_without_a_golden_set_the_new_generation_is_held_with_the_reason(
    world: tuple[AppClient, InMemoryAuditLog],
) -> None:
    client, _ = world
    done = reindex(client)
    assert (done["state"], done["outcome"]) == (
        "succeeded",
        "held: no_golden_set: the collection has no golden set to compare on",
    )
    kb = client.get("/v1/collections/kb").json()
    assert kb["embedding_model"] == "small-id"
    assert {g["number"]: g["state"] for g in kb["generations"]} == {0: "live", 1: "held"}
    assert client.post("/v1/collections/kb/rollback").json()["code"] == "rollback_unavailable"
    assert client.post("/v1/collections/kb/generations/1/activate").status_code == 200
    assert client.get("/v1/collections/kb").json()["embedding_model"] == "other-id"


def test_manual_activation_holds_a_passing_generation(world: tuple[AppClient, InMemoryAuditLog]) -> None:
    client, _ = world
    assert client.put("/v1/collections/kb/golden-set", json=GOLDEN).status_code < 300
    done = reindex(client, max_drop=1.0, activate="manual")
    assert done["outcome"].startswith("held: manual"), done
    assert client.get("/v1/collections/kb").json()["generation"] == 0


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/v1/collections/none/reindex", {"embedder": "other"}, 404, "collection_not_found"),
        ("/v1/collections/kb/reindex", {"embedder": "nope"}, 404, "model_not_found"),
        ("/v1/collections/kb/reindex", {"embedder": "other", "max_drop": 2}, 400, "invalid_input"),
        ("/v1/collections/kb/reindex", {"embedder": "other", "chunk_size": 5}, 400, "invalid_input"),
        (
            "/v1/collections/kb/reindex",
            {"embedder": "other", "chunk_size": 64, "chunk_overlap": 64},
            400,
            "invalid_input",
        ),
        ("/v1/collections/kb/reindex", {"embedder": "other", "chunk_overlap": 8}, 400, "invalid_input"),
        ("/v1/collections/kb/reindex", {"embedder": "other", "chunks": 8}, 400, None),
        ("/v1/collections/kb/generations/7/activate", None, 404, "generation_not_found"),
        ("/v1/collections/kb/rollback", None, 409, "rollback_unavailable"),
    ],
)
def test_bad_calls_are_clear_problems(
    world: tuple[AppClient, InMemoryAuditLog], path: str, body: Any, status: int, code: str | None
) -> None:
    client, _ = world
    r = client.post(path, json=body) if body is not None else client.post(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if code is not None:
        assert r.json()["code"] == code


def test_an_unknown_collection_is_404(world: tuple[AppClient, InMemoryAuditLog]) -> None:
    client, _ = world
    assert client.get("/v1/collections/none").json()["code"] == "collection_not_found"
