"""``kill -9`` of the embedded server in the middle of a job: after a restart the job completes, every document
is searchable exactly once and the counts are exact (real ``autbot serve``, real embedded stores on disk)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import AutbotServer

pytestmark = pytest.mark.slow

FILES = 300
ENV = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",  # fast; the index, registry, queue and job store are the real ones
    "AUTBOT_INDEX__BACKEND": "chroma",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_AUTH__KEYS_BACKEND": "memory",
    "AUTBOT_LIMITS__ENABLED": "false",
    "AUTBOT_JOBS__BATCH_SIZE": "3",  # many batches: the kill lands in the middle
}


def marker(i: int) -> str:
    return f"zq{i:04d}x"


def upload() -> list[tuple[str, tuple[str, bytes, str]]]:
    files = [
        ("files", (f"note-{i}.txt", f"Note {i} carries the marker {marker(i)} among words.".encode(), "text/plain"))
        for i in range(FILES)
    ]
    files.insert(7, ("files", ("broken.pdf", b"%PDF-1.4 not really", "application/pdf")))
    files.insert(150, ("files", ("empty.txt", b"   ", "text/plain")))
    return files


def job_of(client: httpx.Client, job_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", params={"failures_limit": 10}).json()
    return body


def wait(client: httpx.Client, job_id: str, done: Any, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = job_of(client, job_id)
        if done(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached the expected point: {job_of(client, job_id)}")


def test_a_job_survives_kill_9_of_the_embedded_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = AutbotServer(data, env=ENV).start()
    try:
        with server.client() as c:
            r = c.post("/v1/collections/kb/jobs", files=upload())
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            at_kill = wait(c, job_id, lambda j: j["batches_done"] >= 5 or j["state"] not in ("queued", "running"))
        server.stop(sig=signal.SIGKILL)
    finally:
        server.stop(sig=signal.SIGKILL)
    assert at_kill["state"] == "running", "the job ended before the kill: make it slower"

    server = AutbotServer(data, env=ENV).start()
    try:
        with server.client() as c:
            done = wait(c, job_id, lambda j: j["state"] in ("succeeded", "failed", "cancelled"))
            assert done["state"] == "succeeded", done
            counts = done["counts"]
            assert counts["total"] == FILES + 2
            assert (counts["done"], counts["created"], counts["failed"]) == (FILES + 2, FILES, 2)
            assert (counts["updated"], counts["unchanged"], counts["skipped"]) == (0, 0, 0)
            assert counts["chunks"] == FILES
            assert sorted(f["item"] for f in done["failures"]) == ["broken.pdf", "empty.txt"]
            assert c.get("/v1/collections/kb/documents", params={"limit": 1}).json()["total"] == FILES
            seen: set[str] = set()
            for i in range(FILES):
                hits = c.post("/v1/collections/kb/search", json={"query": marker(i), "mode": "keyword"}).json()
                found = [h["document_id"] for h in hits["results"] if marker(i) in h["text"]]
                assert len(found) == 1, (i, hits)  # searchable, and exactly once
                seen.update(found)
            assert len(seen) == FILES
    finally:
        server.stop()
