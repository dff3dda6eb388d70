"""Jobs against ``limits.ingest`` at their cost (characters of text, bytes of files), as the synchronous routes;
the per-key caps on unfinished jobs and their documents stay 429 ``job_limit_reached``; refusals cost nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.domain import limits
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import AppClient, fake_settings
from tests.support.app_client import app_client as shared_client

UNIT = limits.INGEST_COST_CHARS


def job(chars: int, n: int = 1) -> dict[str, Any]:
    return {"documents": [{"id": f"d{i}", "text": "w" * (chars // n)} for i in range(n)]}


def client_with(tmp_path: Path, keys: InMemoryKeyStore | None = None, **jobs: Any) -> AppClient:
    s = fake_settings(
        index={"backend": "chroma"},
        storage={"data_dir": str(tmp_path / "data")},
        limits={"ingest": "5/hour"},
        jobs={"workers": 0, **jobs},  # jobs stay queued: the caps are what is measured
    )
    return shared_client(s, overrides={"key_store": keys} if keys else None)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[AppClient]:
    with client_with(tmp_path) as c:
        yield c


def remaining(r: Any) -> int:
    assert r.status_code == 202, r.text
    return int(r.headers["ratelimit-remaining"])


def test_a_json_job_costs_its_characters_and_an_upload_its_bytes(client: AppClient) -> None:
    assert remaining(client.post("/v1/collections/kb/jobs", json=job(2 * UNIT + 1, n=3))) == 2  # 3 units
    files = [("files", ("a.txt", io.BytesIO(b"w" * (UNIT + 1)), "text/plain"))]
    assert remaining(client.post("/v1/collections/kb/jobs", files=files)) == 0  # 2 units
    r = client.post("/v1/collections/kb/jobs", json=job(10))
    assert (r.status_code, r.json()["code"]) == (429, "rate_limited")
    assert "retry-after" in r.headers
    assert len(client.get("/v1/jobs").json()["jobs"]) == 2  # the refused job was never stored


def test_a_job_costing_more_than_a_whole_window_is_413(client: AppClient) -> None:
    r = client.post("/v1/collections/kb/jobs", json=job(6 * UNIT, n=5))  # 6 units
    assert (r.status_code, r.json()["code"]) == (413, "request_exceeds_rate_limit")
    assert client.get("/v1/jobs").json()["jobs"] == []


def test_the_per_key_caps_stay_and_a_job_they_refuse_costs_nothing(tmp_path: Path) -> None:
    with client_with(tmp_path, max_queued_jobs_per_key=2, max_queued_documents_per_key=3) as c:
        assert remaining(c.post("/v1/collections/kb/jobs", json=job(10, n=2))) == 4
        r = c.post("/v1/collections/kb/jobs", json=job(10, n=2))  # 4 documents queued > 3
        assert (r.status_code, r.json()["code"]) == (429, "job_limit_reached")
        assert remaining(c.post("/v1/collections/kb/jobs", json=job(10, n=1))) == 3
        r = c.post("/v1/collections/kb/jobs", json=job(10, n=1))  # a third unfinished job > 2
        assert (r.status_code, r.json()["code"]) == (429, "job_limit_reached")
        assert "retry-after" in r.headers


def test_a_job_refused_for_lack_of_permission_costs_nothing(tmp_path: Path) -> None:
    store = InMemoryKeyStore()
    key = CreateKey(keys=store).execute(CreateKeyRequest(name="a", scopes=("ingest",), collections=("kb",))).key
    auth = {"Authorization": f"Bearer {key}"}
    with client_with(tmp_path, keys=store) as c:
        for _ in range(6):
            r = c.post("/v1/collections/other/jobs", json=job(10), headers=auth)
            assert (r.status_code, r.json()["code"]) == (404, "collection_not_found")
        assert remaining(c.post("/v1/collections/kb/jobs", json=job(10), headers=auth)) == 4
