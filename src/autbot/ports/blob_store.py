from __future__ import annotations

from typing import Protocol, runtime_checkable

from autbot.domain.model import HealthStatus


@runtime_checkable
class BlobStore(Protocol):
    """Where a job's inputs wait for their worker: bytes by key, reachable by every worker. Every method raises
    ``JobStoreUnavailable`` when the store cannot answer.

    Keys are ``<job id>/<name>`` (letters, digits, ``_ . -``). ``put`` returns once the bytes are durable.
    """

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The bytes, or None if there are none under ``key``."""
        ...

    def delete_job(self, job_id: str) -> None:
        """Remove every blob of one job (no error if there are none)."""
        ...

    def health(self) -> HealthStatus: ...
