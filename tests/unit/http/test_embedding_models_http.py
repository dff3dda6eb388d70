"""Two embedding models behind the HTTP edge (fakes): a collection created with a named model keeps it;
unknown models are 404 ``model_not_found`` (problem+json on the AutBot routes, OpenAI's envelope on /v1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autbot.adapters.embedders.catalogue import PrefixedEmbedder, ServedModel, StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from tests.support.app_client import AppClient, app_client

DOC = {"documents": [{"id": "d", "text": "Rivers carry sediment to the sea."}]}


@pytest.fixture
def client() -> Iterator[AppClient]:
    small, other = (
        HashingEmbedder(dimension=64, model_id="small-id"),
        HashingEmbedder(dimension=32, model_id="other-id"),
    )
    catalogue = StaticEmbedderCatalogue(
        [
            ServedModel(name="small", passages=small, queries=small),
            ServedModel(name="other", passages=other, queries=PrefixedEmbedder(other, "query: ")),
        ],
        default="small",
    )
    with app_client(overrides={"embedders": catalogue}) as c:
        yield c


def test_a_collection_created_with_a_named_model_keeps_it(client: AppClient) -> None:
    assert client.post("/v1/collections/tuned/documents", json={**DOC, "embedder": "other"}).status_code == 201
    assert client.post("/v1/collections/plain/documents", json=DOC).status_code == 201
    models = {c["name"]: c["embedding_model"] for c in client.get("/v1/collections").json()["collections"]}
    assert models == {"tuned": "other-id", "plain": "small-id"}
    hits = client.post("/v1/collections/tuned/search", json={"query": "rivers sediment"}).json()["results"]
    assert hits[0]["document_id"] == "d"
    mixed = client.post("/v1/collections/tuned/documents", json={**DOC, "embedder": "small"})
    assert mixed.status_code == 409
    assert mixed.json()["code"] == "embedding_model_mismatch"


def test_an_unknown_model_is_a_404_on_ingest_and_in_openais_envelope(client: AppClient) -> None:
    r = client.post("/v1/collections/new/documents", json={**DOC, "embedder": "bge-large"})
    assert r.status_code == 404
    assert r.json()["code"] == "model_not_found"
    assert "new" not in [c["name"] for c in client.get("/v1/collections").json()["collections"]]
    r = client.post("/v1/embeddings", json={"model": "bge-large", "input": "x"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "model_not_found"
    r = client.post("/v1/embeddings", json={"model": "other", "input": ["a", "b"]})
    assert r.status_code == 200
    assert [len(d["embedding"]) for d in r.json()["data"]] == [32, 32]
    listed = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert {"small", "other"} <= set(listed)


def test_a_file_upload_may_name_the_model_of_the_collection_it_creates(client: AppClient) -> None:
    files = {"files": ("rivers.txt", b"Rivers carry sediment to the sea.")}
    r = client.post("/v1/collections/up/files", files=files, data={"embedder": "other"})
    assert r.status_code == 201, r.text
    models = {c["name"]: c["embedding_model"] for c in client.get("/v1/collections").json()["collections"]}
    assert models["up"] == "other-id"
    r = client.post("/v1/collections/up2/files", files=files, data={"embedder": "nope"})
    assert (r.status_code, r.json()["code"]) == (404, "model_not_found")
