"""Clients shared by several adapters: one Weaviate connection, one Redis pool, one asyncio Redis link."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.observability.telemetry import Telemetry
from autbot.entrypoints.settings import Settings
from autbot.ports.secret_store import SecretStore

if TYPE_CHECKING:
    import redis

    from autbot.adapters.quotas.redis_link import RedisLink
    from autbot.adapters.weaviate.connection import WeaviateConnection


def weaviate_connection(s: Settings, secrets: SecretStore) -> Iterator[WeaviateConnection]:
    """One Weaviate client per process, shared by its chunk index and registry."""
    from autbot.adapters.weaviate.connection import WeaviateConnection

    w = s.index.weaviate
    yield from closing(
        WeaviateConnection(
            http_host=w.http_host,
            http_port=w.http_port,
            grpc_host=w.grpc_host,
            grpc_port=w.grpc_port,
            secure=w.secure,
            api_key=lambda: secrets.get(w.api_key_secret),  # read again when it may have rotated
            init_timeout_s=w.init_timeout_s,
            query_timeout_s=w.query_timeout_s,
            insert_timeout_s=w.insert_timeout_s,
            consistency_level=w.consistency_level,
            write_retries=w.write_retries,
        )
    )


def redis_client(s: Settings, secrets: SecretStore) -> Iterator[redis.Redis]:
    """One Redis connection pool per process, with short timeouts: Redis is on the request path. The password
    is read for each new connection: a rotated secret needs no restart (``redis_link.credential_options``)."""
    import redis

    from autbot.adapters.quotas.redis_link import credential_options

    r = s.redis
    url, credentials = credential_options(r.url, lambda: secrets.get(r.password_secret))
    yield from closing(
        redis.Redis.from_url(
            url,
            **credentials,
            socket_timeout=r.socket_timeout_s,
            socket_connect_timeout=r.socket_timeout_s,
            max_connections=r.max_connections,
            health_check_interval=30,
        )
    )


def redis_link(s: Settings, secrets: SecretStore, telemetry: Telemetry) -> RedisLink:
    """One asyncio Redis client per process for rate limits and budgets (the ``[redis]`` settings); its
    breaker state and failures are metrics (``dependency="redis"``). Closed by ``container.aclose``."""
    from autbot.adapters.quotas.redis_link import RedisLink

    r, m = s.redis, telemetry.metrics
    return RedisLink.connect(
        r.url,
        password=lambda: secrets.get(r.password_secret),
        timeout_s=r.socket_timeout_s,
        max_connections=r.max_connections,
        recheck_s=s.limits.redis_recheck_s,
        on_change=m.circuit_changed,
        on_error=lambda kind: m.upstream_errors.labels("redis", "redis_unavailable").inc(),
    )
