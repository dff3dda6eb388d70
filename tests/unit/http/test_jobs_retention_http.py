"""Ended jobs expire in the embedded server: its sweeper deletes them once past ``jobs.retention_s``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from autbot.domain import limits
from autbot.entrypoints.settings.jobs import JobsSettings
from tests.support.app_client import AppClient, fake_settings
from tests.support.app_client import app_client as shared_client


def client(tmp_path: Path, **jobs: Any) -> AppClient:
    s = fake_settings(index={"backend": "chroma"}, storage={"data_dir": str(tmp_path / "data")}, jobs=jobs)
    return shared_client(s)


def status_until(c: AppClient, path: str, want: int) -> int:
    deadline = time.monotonic() + 30
    while (status := c.get(path).status_code) != want and time.monotonic() < deadline:
        time.sleep(0.05)
    return status


def test_the_retention_default_has_one_source() -> None:
    assert JobsSettings().retention_s == limits.JOB_RETENTION_S == 7 * 24 * 3600


def test_the_server_sweeps_ended_jobs_past_retention_and_keeps_unfinished_ones(tmp_path: Path) -> None:
    with client(tmp_path) as c:
        done = c.post("/v1/collections/kb/jobs", json={"documents": [{"text": "Some words."}]}).json()
        assert status_until(c, f"/v1/jobs/{done['id']}", 200) == 200
        deadline = time.monotonic() + 30
        while c.get(f"/v1/jobs/{done['id']}").json()["state"] != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.05)
    with client(tmp_path, workers=0) as c:
        queued = c.post("/v1/collections/kb/jobs", json={"documents": [{"text": "More words."}]}).json()
    with client(tmp_path, workers=0, retention_s=0.001) as c:  # a sweep runs at start
        assert status_until(c, f"/v1/jobs/{done['id']}", 404) == 404
        assert c.get(f"/v1/jobs/{queued['id']}").json()["state"] == "queued"
        assert c.get("/v1/collections/kb/documents").json()["total"] == 1  # documents stay: only the record goes
