"""A job's inputs as Redis strings (``<prefix>blob:<job id>/<name>``), reachable by every worker; removed with the
job. Their total is bounded by the per-key job limits and ``server.max_request_bytes``; size Redis for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autbot.domain.errors import JobStoreUnavailable
from autbot.domain.model import HealthStatus


class RedisBlobStore:
    def __init__(self, client: Any, *, prefix: str = "autbot:jobs:") -> None:
        self._r = client
        self._p = prefix + "blob:"

    def put(self, key: str, data: bytes) -> None:
        self._run(lambda: self._r.set(self._p + key, data))

    def get(self, key: str) -> bytes | None:
        raw = self._run(lambda: self._r.get(self._p + key))
        return None if raw is None else bytes(raw)

    def delete_job(self, job_id: str) -> None:
        def run() -> None:
            keys = list(self._r.scan_iter(match=f"{self._p}{job_id}/*", count=500))
            for start in range(0, len(keys), 500):
                self._r.delete(*keys[start : start + 500])

        self._run(run)

    def health(self) -> HealthStatus:
        try:
            self._run(lambda: self._r.ping())
        except JobStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True)

    def _run(self, call: Callable[[], Any]) -> Any:
        import redis

        try:
            return call()
        except (redis.RedisError, OSError) as e:
            raise JobStoreUnavailable(f"The input store (Redis) failed: {e}") from e
