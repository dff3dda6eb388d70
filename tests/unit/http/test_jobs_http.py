"""The jobs API through the app: 202 and Location, progress to the end, files, SSE, cancel, limits, errors,
who sees what, and the OpenAPI document."""

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
from tests.support.processes import parse_sse

Client = AppClient


def app_client(tmp_path: Path, keys: InMemoryKeyStore | None = None, **jobs: Any) -> Client:
    s = fake_settings(
        index={"backend": "chroma"},
        storage={"data_dir": str(tmp_path / "data")},
        jobs={"retry_base_s": 0.01, "batch_size": 16, **jobs},
    )
    return shared_client(s, overrides={"key_store": keys} if keys else None)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with app_client(tmp_path) as c:
        yield c


@pytest.fixture
def idle(tmp_path: Path) -> Iterator[Client]:
    """No worker threads: jobs stay queued."""
    with app_client(tmp_path, workers=0, max_queued_jobs_per_key=2) as c:
        yield c


def docs(n: int, prefix: str = "d") -> dict[str, Any]:
    return {"documents": [{"id": f"{prefix}{i}", "text": f"Text {i} about the {prefix} topic."} for i in range(n)]}


def wait_done(client: Client, job_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", headers=headers or {}).json()
        if body["state"] in ("succeeded", "failed", "cancelled"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    return body


def test_a_json_job_is_accepted_then_runs_to_the_end(client: Client) -> None:
    payload = docs(40)
    payload["documents"].append({"id": "blank", "text": "   "})
    r = client.post("/v1/collections/kb/jobs", json=payload)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    assert (job["state"], job["counts"]["total"], job["batches"]) == ("queued", 41, 3)
    done = wait_done(client, job["id"])
    assert done["state"] == "succeeded"
    c = done["counts"]
    assert (c["done"], c["created"], c["failed"], c["skipped"]) == (41, 40, 1, 0)
    assert done["failures"] == [{"item": "blank", "code": "empty_document", "message": done["failures"][0]["message"]}]
    assert done["failures_total"] == 1
    assert done["documents_per_s"] > 0
    assert done["eta_s"] is None
    assert client.get("/v1/collections/kb/documents").json()["total"] == 40
    metrics = client.get("/metrics").text
    for line in (
        'autbot_jobs_total{state="queued"} 1.0',
        'autbot_jobs_total{state="succeeded"} 1.0',
        'autbot_job_documents_total{outcome="created"} 40.0',
        'autbot_job_documents_total{outcome="failed"} 1.0',
        "autbot_job_duration_seconds_count 1.0",
        "autbot_jobs_queued 0.0",
    ):
        assert line in metrics, line


def test_uploaded_files_become_a_job(client: Client) -> None:
    files = [
        ("files", ("a.txt", io.BytesIO(b"Plain words in a file."), "text/plain")),
        ("files", ("b.bin", io.BytesIO(b"\x00\x01"), "application/octet-stream")),
    ]
    r = client.post("/v1/collections/kb/jobs", files=files, data={"metadata": '{"team": "docs"}'})
    assert r.status_code == 202, r.text
    done = wait_done(client, r.json()["id"])
    assert (done["state"], done["kind"], done["counts"]["created"], done["counts"]["failed"]) == (
        "succeeded",
        "files",
        1,
        1,
    )
    assert done["failures"][0]["item"] == "b.bin"


def test_events_follow_a_job_to_its_end(client: Client) -> None:
    job = client.post("/v1/collections/kb/jobs", json=docs(20)).json()
    with client.stream("GET", f"/v1/jobs/{job['id']}/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = list(parse_sse(r.iter_lines()))
    assert events[-1][0] == "done"
    assert '"state":"succeeded"' in events[-1][1]
    assert all(kind == "progress" for kind, _ in events[:-1])


def test_listing_and_cancelling_queued_jobs(idle: Client) -> None:
    a = idle.post("/v1/collections/kb/jobs", json=docs(3)).json()
    b = idle.post("/v1/collections/other/jobs", json=docs(3)).json()
    listed = idle.get("/v1/jobs").json()["jobs"]
    assert [j["id"] for j in listed] == [b["id"], a["id"]]
    assert [j["id"] for j in idle.get("/v1/jobs", params={"collection": "kb"}).json()["jobs"]] == [a["id"]]
    cancelled = idle.delete(f"/v1/jobs/{a['id']}")
    assert cancelled.status_code == 200
    assert (cancelled.json()["state"], cancelled.json()["counts"]["skipped"]) == ("cancelled", 3)
    states = idle.get("/v1/jobs", params={"state": "cancelled"}).json()["jobs"]
    assert [j["id"] for j in states] == [a["id"]]
    problem(idle.get("/v1/jobs", params={"state": "paused"}), 400, "invalid_input")


def test_per_key_limit_is_a_429_with_retry_after(idle: Client) -> None:
    for _ in range(2):
        assert idle.post("/v1/collections/kb/jobs", json=docs(1)).status_code == 202
    r = idle.post("/v1/collections/kb/jobs", json=docs(1))
    problem(r, 429, "job_limit_reached")
    assert "retry-after" in r.headers


def test_bad_requests_are_problems(client: Client) -> None:
    problem(client.get("/v1/jobs/job_AAAAAAAAAAAAAAAAAAAA"), 404, "job_not_found")
    problem(client.get("/v1/jobs/not-a-job"), 400, "invalid_input")
    problem(client.delete("/v1/jobs/job_AAAAAAAAAAAAAAAAAAAA"), 404, "job_not_found")
    problem(client.post("/v1/collections/kb/jobs", json={"documents": []}), 400, "invalid_input")
    problem(client.post("/v1/collections/kb/jobs", json={"docs": 1}), 400, "invalid_input")
    problem(client.post("/v1/collections/Bad Name/jobs", json=docs(1)), 400, "invalid_input")
    r = client.post("/v1/collections/kb/jobs", content=b"hello", headers={"content-type": "text/plain"})
    body = problem(r, 415, "unsupported_media_type")
    assert "multipart/form-data" in body["detail"]
    no_files = client.post("/v1/collections/kb/jobs", files=[("metadata", (None, b"{}"))])
    problem(no_files, 400, "invalid_input")


def test_only_the_owner_or_an_admin_sees_a_job(tmp_path: Path) -> None:
    store = InMemoryKeyStore()
    create = CreateKey(keys=store).execute
    alice = create(CreateKeyRequest(name="alice", scopes=("ingest",))).key
    bob = create(CreateKeyRequest(name="bob", scopes=("ingest",))).key
    reader = create(CreateKeyRequest(name="reader", scopes=("query",))).key
    admin = create(CreateKeyRequest(name="root", scopes=("admin",))).key

    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    with app_client(tmp_path, keys=store) as c:
        problem(c.post("/v1/collections/kb/jobs", json=docs(2), headers=auth(reader)), 403, "forbidden")
        job = c.post("/v1/collections/kb/jobs", json=docs(2), headers=auth(alice)).json()
        assert job["owner"].startswith("key:")  # the key's id, not its name (a re-created name owns nothing)
        assert wait_done(c, job["id"], auth(alice))["state"] == "succeeded"
        problem(c.get(f"/v1/jobs/{job['id']}", headers=auth(bob)), 404, "job_not_found")
        problem(c.delete(f"/v1/jobs/{job['id']}", headers=auth(bob)), 404, "job_not_found")
        assert c.get("/v1/jobs", headers=auth(bob)).json()["jobs"] == []
        assert c.get(f"/v1/jobs/{job['id']}", headers=auth(admin)).status_code == 200
        assert [j["id"] for j in c.get("/v1/jobs", headers=auth(admin)).json()["jobs"]] == [job["id"]]


def test_the_openapi_document_describes_the_jobs_routes(client: Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert set(paths["/v1/collections/{collection}/jobs"]) == {"post"}
    submit = paths["/v1/collections/{collection}/jobs"]["post"]
    assert "202" in submit["responses"]
    assert set(submit["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert set(paths["/v1/jobs/{job_id}"]) == {"get", "delete"}
    assert "get" in paths["/v1/jobs/{job_id}/events"]
    assert "get" in paths["/v1/jobs"]


def test_jobs_survive_a_restart_of_the_embedded_server(tmp_path: Path) -> None:
    with app_client(tmp_path, workers=0) as c:
        job = c.post("/v1/collections/kb/jobs", json=docs(20)).json()
    with app_client(tmp_path, workers=0) as c:
        assert c.get(f"/v1/jobs/{job['id']}").json()["state"] == "queued"
    with app_client(tmp_path) as c:  # workers again: the job resumes
        done = wait_done(c, job["id"])
        assert (done["state"], done["counts"]["created"]) == ("succeeded", 20)


def test_the_worker_batch_spans_join_the_submitting_requests_trace(tmp_path: Path) -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from autbot.entrypoints.observability.telemetry import Telemetry

    exporter = InMemorySpanExporter()
    s = fake_settings(
        index={"backend": "chroma"}, storage={"data_dir": str(tmp_path / "data")}, jobs={"batch_size": 16}
    )
    telemetry = Telemetry.from_settings(s, exporter=exporter)
    with shared_client(s, overrides={"telemetry": telemetry}) as c:
        job = c.post("/v1/collections/kb/jobs", json=docs(20)).json()
        wait_done(c, job["id"])
    spans = exporter.get_finished_spans()
    submit = next(x for x in spans if x.name == "POST /v1/collections/{collection}/jobs")
    batches = [x for x in spans if x.name == "job batch"]
    assert len(batches) == 2
    assert {b.context.trace_id for b in batches} == {submit.context.trace_id}
    embeds = [x for x in spans if x.name == "embed" and x.parent is not None]
    assert {e.parent.span_id for e in embeds if e.parent} <= {b.context.span_id for b in batches}
