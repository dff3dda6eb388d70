"""Ended jobs are forgotten once past their retention: their record, failures and any inputs left."""

from __future__ import annotations

import time
from collections.abc import Callable

from autbot.domain import limits
from autbot.ports.blob_store import BlobStore
from autbot.ports.job_store import JobStore


class ExpireJobs:
    """Delete jobs that ended more than ``jobs.retention_s`` ago (0: keep them for ever).

    Rules:
    - Only ended jobs (``succeeded``, ``failed``, ``cancelled``) expire, counted from when they ended; a queued
      or running job is never touched, however old.
    - One call deletes at most ``limits.JOB_SWEEP_LIMIT`` jobs: the sweeper calls it again (at once while calls
      come back full, so a backlog drains a bounded step at a time).
    - A job's inputs go first, then its record: a sweep cut short leaves a job that the next sweep finds again,
      never inputs that nothing names.
    """

    def __init__(
        self,
        *,
        store: JobStore,
        blobs: BlobStore,
        retention_s: float = limits.JOB_RETENTION_S,
        limit: int = limits.JOB_SWEEP_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._blobs = store, blobs
        self._retention_s, self._limit, self._clock = retention_s, limit, clock

    @property
    def limit(self) -> int:
        return self._limit

    def execute(self) -> list[str]:
        """The ids of the jobs deleted."""
        if self._retention_s <= 0:
            return []
        expired = self._store.ended_before(self._clock() - self._retention_s, self._limit)
        for job_id in expired:
            self._blobs.delete_job(job_id)
            self._store.delete(job_id)
        return expired
