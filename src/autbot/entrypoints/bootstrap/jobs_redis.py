"""The ``redis`` jobs backend: Dramatiq's broker, job records and inputs on ``redis.url`` (one client of its own,
with timeouts long enough for an input of ``ingest.max_file_bytes``)."""

from __future__ import annotations

from typing import Any

from autbot.adapters.jobs.redis.blobs import RedisBlobStore
from autbot.adapters.jobs.redis.queue import DramatiqRedisJobQueue
from autbot.adapters.jobs.redis.store import RedisJobStore
from autbot.entrypoints.settings import Settings
from autbot.ports.blob_store import BlobStore
from autbot.ports.job_queue import JobQueue
from autbot.ports.job_store import JobStore
from autbot.ports.secret_store import SecretStore

TIMEOUT_S = 30.0


def redis_parts(settings: Settings, secrets: SecretStore) -> tuple[JobQueue, JobStore, BlobStore, list[Any]]:
    import redis

    r, j = settings.redis, settings.jobs
    client = redis.Redis.from_url(
        r.url,
        password=secrets.get(r.password_secret),
        socket_timeout=TIMEOUT_S,
        socket_connect_timeout=min(TIMEOUT_S, 5.0),
        max_connections=max(r.max_connections, j.workers + 8),
        health_check_interval=30,
    )
    queue = DramatiqRedisJobQueue(
        client, namespace=j.redis_prefix + "queue", heartbeat_timeout_s=j.redis_heartbeat_timeout_s
    )
    store = RedisJobStore(client, prefix=j.redis_prefix)
    blobs = RedisBlobStore(client, prefix=j.redis_prefix)
    return queue, store, blobs, [queue.close, client.close]
