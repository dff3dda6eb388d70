"""Scale-out: an API server that only accepts jobs, two ``autbot worker`` processes on one real Redis and one
real Weaviate; ``kill -9`` of a worker in the middle: the jobs complete, counts exact, each document once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import ROOT, AutbotServer, stop
from tests.support.redis import RedisServer
from tests.support.weaviate import WeaviateNodes

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.weaviate]

PER_JOB = 120


def env(redis_server: RedisServer, weaviate_node: WeaviateNodes) -> dict[str, str]:
    return {
        **weaviate_node.env_overrides(),
        "AUTBOT_EMBEDDER__BACKEND": "hashing",
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_AUTH__KEYS_BACKEND": "memory",
        "AUTBOT_LIMITS__ENABLED": "false",
        "AUTBOT_REDIS__URL": redis_server.url,
        "AUTBOT_JOBS__BACKEND": "redis",
        "AUTBOT_JOBS__REDIS_PREFIX": f"t{uuid.uuid4().hex[:8]}:",
        "AUTBOT_JOBS__REDIS_HEARTBEAT_TIMEOUT_S": "2",
        "AUTBOT_JOBS__BATCH_SIZE": "3",
    }


def worker(variables: dict[str, str], data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "autbot.entrypoints.cli", "worker", "--threads", "1"],
            env={**os.environ, **variables, "AUTBOT_STORAGE__DATA_DIR": str(data_dir)},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def files(tag: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("files", (f"{tag}-{i}.txt", f"Note {tag} {i} carries marker {tag}q{i:04d}x here.".encode(), "text/plain"))
        for i in range(PER_JOB)
    ]


def jobs_of(c: httpx.Client, ids: list[str]) -> list[dict[str, Any]]:
    return [c.get(f"/v1/jobs/{i}").json() for i in ids]


def test_two_workers_on_redis_survive_kill_9_of_one(
    redis_server: RedisServer, weaviate_node: WeaviateNodes, tmp_path: Path
) -> None:
    variables = env(redis_server, weaviate_node)
    collection = f"kb-{uuid.uuid4().hex[:8]}"
    api = AutbotServer(tmp_path / "api", env={**variables, "AUTBOT_JOBS__WORKERS": "0"}).start()
    workers = [worker(variables, tmp_path / f"w{i}", tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        with api.client() as c:
            ids = [c.post(f"/v1/collections/{collection}/jobs", files=files(tag)).json()["id"] for tag in ("a", "b")]
            deadline = time.monotonic() + 300
            while sum(j["counts"]["done"] for j in jobs_of(c, ids)) < 30:
                assert time.monotonic() < deadline, jobs_of(c, ids)
                time.sleep(0.05)
            workers[0].send_signal(signal.SIGKILL)
            while not all(j["state"] in ("succeeded", "failed", "cancelled") for j in jobs_of(c, ids)):
                assert time.monotonic() < deadline, jobs_of(c, ids)
                time.sleep(0.2)
            for job in jobs_of(c, ids):
                assert job["state"] == "succeeded", job
                counts = job["counts"]
                assert (counts["total"], counts["done"], counts["created"], counts["failed"]) == (
                    PER_JOB,
                    PER_JOB,
                    PER_JOB,
                    0,
                )
                assert (counts["updated"], counts["unchanged"], counts["chunks"]) == (0, 0, PER_JOB)
            total = c.get(f"/v1/collections/{collection}/documents", params={"limit": 1}).json()["total"]
            assert total == 2 * PER_JOB
            for tag in ("a", "b"):
                for i in range(0, PER_JOB, 7):
                    body = {"query": f"{tag}q{i:04d}x", "mode": "keyword", "top_k": 5}
                    hits = c.post(f"/v1/collections/{collection}/search", json=body).json()["results"]
                    assert [h["document_id"] for h in hits if f"{tag}q{i:04d}x" in h["text"]] == [f"{tag}-{i}.txt"]
    finally:
        for w in workers:
            stop(w)
        api.stop()
