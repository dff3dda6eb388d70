"""``autbot worker --metrics-port``: a real worker process on a real Redis serves Prometheus ``/metrics`` with the
job metrics of the batches it ran."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from autbot.adapters.jobs.redis.blobs import RedisBlobStore
from autbot.adapters.jobs.redis.queue import DramatiqRedisJobQueue
from autbot.adapters.jobs.redis.store import RedisJobStore
from autbot.domain.auth import ANONYMOUS
from autbot.domain.model import DocumentInput
from autbot.use_cases.jobs import SubmitJob, SubmitJobRequest
from tests.support.processes import ROOT, free_port, stop, wait_http
from tests.support.redis import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def value(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_worker_serves_its_job_metrics(redis_server: RedisServer, tmp_path: Path) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    port = free_port()
    variables = {
        "AUTBOT_EMBEDDER__BACKEND": "hashing",
        "AUTBOT_INDEX__BACKEND": "memory",  # the worker's own index: enough to run batches and count them
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_AUTH__KEYS_BACKEND": "memory",
        "AUTBOT_REDIS__URL": redis_server.url,
        "AUTBOT_JOBS__BACKEND": "redis",
        "AUTBOT_JOBS__REDIS_PREFIX": prefix,
        "AUTBOT_JOBS__BATCH_SIZE": "4",
        "AUTBOT_STORAGE__DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "autbot.entrypoints.cli", "worker", "--threads", "1", "--metrics-port", str(port)]
    with log.open("ab") as out:
        environ = {**os.environ, **variables}
        proc = subprocess.Popen(command, env=environ, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    client = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    queue = DramatiqRedisJobQueue(client, namespace=prefix + "queue", heartbeat_timeout_s=30)
    store = RedisJobStore(client, prefix=prefix)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        wait_http(url, proc=proc, log=log)
        assert "autbot_jobs_queued 0.0" in httpx.get(url, timeout=10).text
        submit = SubmitJob(store=store, queue=queue, blobs=RedisBlobStore(client, prefix=prefix))
        docs = tuple(DocumentInput(id=f"d{i}", text=f"Document {i} of the metrics job.") for i in range(10))
        docs += (DocumentInput(id="blank", text="   "),)
        job = submit.execute(SubmitJobRequest(collection="kb", principal=ANONYMOUS, documents=docs))
        deadline = time.monotonic() + 120
        while not (store.get(job.id) or job).terminal:
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.1)
        text = httpx.get(url, timeout=10).text
        assert store.get(job.id).state.value == "succeeded"  # type: ignore[union-attr]
        assert value(text, 'autbot_jobs_total{state="succeeded"}') == 1.0
        assert value(text, 'autbot_job_documents_total{outcome="created"}') == 10.0
        assert value(text, 'autbot_job_documents_total{outcome="failed"}') == 1.0
        assert value(text, "autbot_job_duration_seconds_count") == 1.0
        assert value(text, "autbot_jobs_queued") == 0.0
    finally:
        stop(proc)
        queue.close()
        client.close()
    assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]
