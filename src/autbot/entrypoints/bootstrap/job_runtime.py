"""The jobs of one process: built from settings, worker threads started and stopped with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from loguru import logger

from autbot.entrypoints.bootstrap.jobs import JobSystem, JobWorkers, build_jobs, embedded_parts, requeue_unfinished
from autbot.entrypoints.settings import Settings


class JobRuntime:
    """A process's job system and its workers (none when ``jobs.workers`` is 0)."""

    def __init__(self, system: JobSystem, workers: JobWorkers | None, *, requeue: bool) -> None:
        self.system = system
        self._workers = workers
        self._requeue = requeue

    @classmethod
    def for_server(cls, settings: Settings, container: Any) -> JobRuntime:
        return cls.build(settings, container, threads=settings.jobs.workers)

    @classmethod
    def build(cls, settings: Settings, container: Any, *, threads: int) -> JobRuntime:
        j = settings.jobs
        system = build_jobs(settings, container, _parts(settings, container))
        workers = JobWorkers(system, threads=threads, nice=j.nice) if threads else None
        return cls(system, workers, requeue=j.backend == "embedded")  # one host: no other worker to race

    def use_cases(self) -> Iterator[tuple[str, object]]:
        return iter(self.system.use_cases().items())

    def start(self) -> None:
        if self._requeue and self._workers is not None:
            n = requeue_unfinished(self.system)
            if n:
                logger.info("Resuming {} unfinished ingestion jobs", n)
        if self._workers is not None:
            self._workers.start()

    def stop(self, timeout_s: float) -> None:
        stopped = self._workers.stop(timeout_s) if self._workers is not None else True
        if stopped:
            self.system.close()
        else:
            logger.warning("A job batch was still running at shutdown; it will run again after a restart")


def _parts(settings: Settings, container: Any) -> Any:
    if settings.jobs.backend == "redis":
        from autbot.entrypoints.bootstrap.jobs_redis import redis_parts

        return redis_parts(settings, container.secrets())
    return embedded_parts(settings)
