"""The jobs of one process: built from settings, worker threads and the sweeper of expired jobs started and
stopped with it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from loguru import logger

from autbot.domain import limits
from autbot.entrypoints.bootstrap.jobs import JobSystem, JobWorkers, build_jobs, embedded_parts, requeue_unfinished
from autbot.entrypoints.settings import Settings
from autbot.use_cases.job_retention import ExpireJobs


class JobRuntime:
    """A process's job system and its workers (none when ``jobs.workers`` is 0)."""

    def __init__(
        self, system: JobSystem, workers: JobWorkers | None, *, requeue: bool, sweeper: JobSweeper | None = None
    ) -> None:
        self.system = system
        self._workers = workers
        self._requeue = requeue
        self._sweeper = sweeper

    @classmethod
    def for_server(cls, settings: Settings, container: Any) -> JobRuntime:
        return cls.build(settings, container, threads=settings.jobs.workers)

    @classmethod
    def build(cls, settings: Settings, container: Any, *, threads: int) -> JobRuntime:
        j = settings.jobs
        system = build_jobs(settings, container, _parts(settings, container))
        workers = JobWorkers(system, threads=threads, nice=j.nice) if threads else None
        expire = ExpireJobs(store=system.store, blobs=system.blobs, retention_s=j.retention_s)
        sweeper = JobSweeper(expire) if j.retention_s > 0 else None
        return cls(system, workers, requeue=j.backend == "embedded", sweeper=sweeper)  # one host: none to race

    def use_cases(self) -> Iterator[tuple[str, object]]:
        return iter(self.system.use_cases().items())

    def start(self) -> None:
        if self._requeue and self._workers is not None:
            n = requeue_unfinished(self.system)
            if n:
                logger.info("Resuming {} unfinished ingestion jobs", n)
        if self._workers is not None:
            self._workers.start()
        if self._sweeper is not None:
            self._sweeper.start()

    def stop(self, timeout_s: float) -> None:
        if self._sweeper is not None:
            self._sweeper.stop(timeout_s)
        stopped = self._workers.stop(timeout_s) if self._workers is not None else True
        if stopped:
            self.system.close()
        else:
            logger.warning("A job batch was still running at shutdown; it will run again after a restart")


class JobSweeper:
    """A thread deleting expired jobs (``ExpireJobs``) at start, then every ``limits.JOB_SWEEP_INTERVAL_S``; a
    sweep that came back full is followed by another at once (each one bounded), so a backlog drains. Another
    sweeper (another replica or worker) racing on the same job is harmless: deleting is idempotent."""

    def __init__(self, expire: ExpireJobs, interval_s: float = limits.JOB_SWEEP_INTERVAL_S) -> None:
        self._expire = expire
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="autbot-job-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def sweep(self) -> int:
        try:
            expired = self._expire.execute()
        except Exception:  # the store is down: the next sweep tries again
            logger.exception("Deleting expired jobs failed; next try in {} s", self._interval_s)
            return 0
        if expired:
            logger.info("Deleted {} expired jobs", len(expired))
        return len(expired)

    def _loop(self) -> None:
        while True:
            while self.sweep() >= self._expire.limit and not self._stopping.is_set():
                pass
            if self._stopping.wait(self._interval_s):
                return


def _parts(settings: Settings, container: Any) -> Any:
    if settings.jobs.backend == "redis":
        from autbot.entrypoints.bootstrap.jobs_redis import redis_parts

        return redis_parts(settings, container.secrets())
    return embedded_parts(settings)
