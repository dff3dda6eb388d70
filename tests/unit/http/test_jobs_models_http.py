"""A job's ``embedder`` over HTTP and the embedded jobs path: JSON field and upload part; 409 at submission for
an existing collection of another model, 404 for a model not served."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autbot.adapters.embedders.catalogue import ServedModel, StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from tests.support.app_client import AppClient, fake_settings
from tests.support.app_client import app_client as shared_client

DOCS = {"documents": [{"id": "a", "text": "Some words."}]}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[AppClient]:
    small, big = HashingEmbedder(dimension=64, model_id="small-id"), HashingEmbedder(dimension=96, model_id="big-id")
    catalogue = StaticEmbedderCatalogue(
        [ServedModel(name="small", passages=small, queries=small), ServedModel(name="big", passages=big, queries=big)],
        default="small",
    )
    s = fake_settings(index={"backend": "chroma"}, storage={"data_dir": str(tmp_path / "data")})
    with shared_client(s, overrides={"embedders": catalogue}) as c:
        yield c


def wait_done(client: AppClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if body["state"] in ("succeeded", "failed", "cancelled"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


def model_of(client: AppClient, collection: str) -> str:
    found = [c for c in client.get("/v1/collections").json()["collections"] if c["name"] == collection]
    return str(found[0]["embedding_model"])


def test_a_json_job_creates_its_collection_with_the_model_it_names(client: AppClient) -> None:
    r = client.post("/v1/collections/kb/jobs", json={**DOCS, "embedder": "big"})
    assert r.status_code == 202, r.text
    assert wait_done(client, r.json()["id"])["state"] == "succeeded"
    assert model_of(client, "kb") == "big-id"


def test_an_upload_job_names_its_model_in_a_form_part(client: AppClient) -> None:
    files = [("files", ("a.txt", io.BytesIO(b"Plain words."), "text/plain"))]
    r = client.post("/v1/collections/up/jobs", files=files, data={"embedder": "big"})
    assert r.status_code == 202, r.text
    assert wait_done(client, r.json()["id"])["state"] == "succeeded"
    assert model_of(client, "up") == "big-id"


def test_another_model_than_the_collections_is_a_409_at_submission(client: AppClient) -> None:
    assert client.post("/v1/collections/kb/documents", json=DOCS).status_code == 201  # the default: small
    r = client.post("/v1/collections/kb/jobs", json={**DOCS, "embedder": "big"})
    assert (r.status_code, r.json()["code"]) == (409, "embedding_model_mismatch")
    files = [("files", ("a.txt", io.BytesIO(b"Plain words."), "text/plain"))]
    r = client.post("/v1/collections/kb/jobs", files=files, data={"embedder": "big"})
    assert (r.status_code, r.json()["code"]) == (409, "embedding_model_mismatch")
    r = client.post("/v1/collections/kb/jobs", json={**DOCS, "embedder": "nope"})
    assert (r.status_code, r.json()["code"]) == (404, "model_not_found")
    assert client.get("/v1/jobs").json()["jobs"] == []
    same = client.post("/v1/collections/kb/jobs", json={**DOCS, "embedder": "small"})
    assert same.status_code == 202, same.text
    assert wait_done(client, same.json()["id"])["state"] == "succeeded"
