"""Jobs with document access lists through the app and the embedded jobs path: JSON ``access`` per document and
the upload form's ``access`` part reach the stored documents, and search shows each caller what they admit."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import AppClient, fake_settings
from tests.support.app_client import app_client as shared_client

DOCS = [
    {"id": "open", "text": "Quarterly budget notes for everyone."},
    {"id": "fin", "text": "Quarterly budget salaries, finance only.", "access": {"groups": ["finance"]}},
    {"id": "ali", "text": "Quarterly budget review by alice.", "access": {"subjects": ["alice"]}},
]


class World:
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
        return self.client.request(method, path, headers={"Authorization": f"Bearer {self.keys[who]}"}, **kw)

    def run_job(self, who: str, collection: str, **kw: Any) -> dict[str, Any]:
        r = self.call("POST", f"/v1/collections/{collection}/jobs", who, **kw)
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            body: dict[str, Any] = self.call("GET", f"/v1/jobs/{r.json()['id']}", who).json()
            if body["state"] in ("succeeded", "failed", "cancelled"):
                return body
            time.sleep(0.05)
        raise AssertionError("the job did not end")

    def search_ids(self, who: str, collection: str = "kb") -> list[str]:
        body = {"query": "quarterly budget", "top_k": 10}
        res = self.call("POST", f"/v1/collections/{collection}/search", who, json=body)
        assert res.status_code == 200, res.text
        return sorted({r["document_id"] for r in res.json()["results"]})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = InMemoryKeyStore()
    w = World(store)
    s = fake_settings(index={"backend": "chroma"}, storage={"data_dir": str(tmp_path / "data")})
    with shared_client(s, overrides={"key_store": store}) as client:
        w.client = client
        yield w


def test_a_json_jobs_access_lists_hold_on_its_documents(world: World) -> None:
    done = world.run_job("admin", "kb", json={"documents": DOCS})
    assert (done["state"], done["counts"]["created"]) == ("succeeded", 3)
    assert world.search_ids("admin") == ["ali", "fin", "open"]
    assert world.search_ids("finance") == ["fin", "open"]
    assert world.search_ids("alice") == ["ali", "open"]
    assert world.search_ids("plain") == ["open"]
    fin = world.call("GET", "/v1/collections/kb/documents/fin", "admin").json()
    assert fin["access"] == {"groups": ["finance"], "subjects": []}
    assert world.call("GET", "/v1/collections/kb/documents/fin", "plain").status_code == 404


def test_an_upload_jobs_access_part_holds_on_every_file(world: World) -> None:
    texts = [f"Quarterly budget part {i}.".encode() for i in range(3)]
    files = [("files", (f"q{i}.txt", io.BytesIO(t), "text/plain")) for i, t in enumerate(texts)]
    done = world.run_job("finance", "docs", files=files, data={"access": '{"groups": ["finance"]}'})
    assert (done["state"], done["counts"]["created"]) == ("succeeded", 3)
    assert len(world.search_ids("finance", "docs")) == 3
    assert world.search_ids("plain", "docs") == []


def test_a_bad_access_list_is_refused_at_submission(world: World) -> None:
    bad = {"documents": [{"text": "x", "access": {"groups": []}}]}
    r = world.call("POST", "/v1/collections/kb/jobs", "admin", json=bad)
    assert (r.status_code, r.json()["code"]) == (400, "invalid_input")
    bad_name = {"documents": [{"text": "x", "access": {"groups": ["no spaces"]}}]}
    assert world.call("POST", "/v1/collections/kb/jobs", "admin", json=bad_name).status_code == 400
    files = [("files", ("a.txt", io.BytesIO(b"words"), "text/plain"))]
    r = world.call("POST", "/v1/collections/kb/jobs", "admin", files=files, data={"access": "[1]"})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_input")
    assert world.call("GET", "/v1/jobs", "admin").json()["jobs"] == []
