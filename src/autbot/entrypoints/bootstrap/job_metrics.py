"""Job metrics, counted where job records change: a ``JobStore`` wrapper (the use cases stay unaware of them).

``autbot_jobs_total{state}`` counts submissions (``queued``) and ends; ``autbot_job_documents_total{outcome}``
counts each recorded batch's documents once (a redelivered batch records nothing) and the skipped ones at the end;
``autbot_job_duration_seconds`` observes submission to end; ``autbot_jobs_queued`` reads the queue's depth when
scraped.
"""

from __future__ import annotations

from collections.abc import Callable

from autbot.domain.jobs import BatchResult, DocumentFailure, Job, JobState
from autbot.domain.model import HealthStatus
from autbot.entrypoints.observability.telemetry import Metrics, multiprocess
from autbot.ports.job_queue import JobQueue
from autbot.ports.job_store import JobStore


def watch_queue(metrics: Metrics, queue: JobQueue) -> None:
    if not multiprocess():  # a gauge read at scrape time exists only in single-process mode
        metrics.jobs_queued.set_function(lambda: _depth(queue))


def _depth(queue: JobQueue) -> float:
    try:
        return float(queue.depth())
    except Exception:
        return float("nan")


class MeteredJobStore:
    def __init__(self, inner: JobStore, metrics: Metrics) -> None:
        self._inner = inner
        self._m = metrics

    def create(self, job: Job) -> None:
        self._inner.create(job)
        self._m.jobs.labels(JobState.QUEUED.value).inc()

    def get(self, job_id: str) -> Job | None:
        return self._inner.get(job_id)

    def find(self, *, owner: str | None, collection: str | None, state: JobState | None, limit: int) -> list[Job]:
        return self._inner.find(owner=owner, collection=collection, state=state, limit=limit)

    def unfinished(self, owner: str | None) -> tuple[int, int]:
        return self._inner.unfinished(owner)

    def begin_batch(self, job_id: str, batch: int, now: float) -> int:
        return self._inner.begin_batch(job_id, batch, now)

    def record_batch(self, job_id: str, batch: int, result: BatchResult) -> Job:
        before = self._inner.get(job_id)
        after = self._inner.record_batch(job_id, batch, result)
        if before is not None and before.next_batch == batch and after.next_batch == batch + 1:
            for outcome, n in (
                ("created", result.created),
                ("updated", result.updated),
                ("unchanged", result.unchanged),
                ("failed", len(result.failures)),
            ):
                if n:
                    self._m.job_documents.labels(outcome).inc(n)
        return after

    def swap_token(self, job_id: str, old: str, new: str) -> bool:
        return self._inner.swap_token(job_id, old, new)

    def request_cancel(self, job_id: str, now: float) -> Job | None:
        return self._ended(job_id, lambda: self._inner.request_cancel(job_id, now))

    def finish(
        self, job_id: str, state: JobState, now: float, error: str | None = None, outcome: str | None = None
    ) -> Job | None:
        return self._ended(job_id, lambda: self._inner.finish(job_id, state, now, error, outcome))

    def failures(self, job_id: str, *, offset: int, limit: int) -> tuple[list[DocumentFailure], int]:
        return self._inner.failures(job_id, offset=offset, limit=limit)

    def ended_before(self, before: float, limit: int) -> list[str]:
        return self._inner.ended_before(before, limit)

    def delete(self, job_id: str) -> None:
        self._inner.delete(job_id)

    def health(self) -> HealthStatus:
        return self._inner.health()

    def _ended(self, job_id: str, change: Callable[[], Job | None]) -> Job | None:
        before = self._inner.get(job_id)
        after = change()
        if after is not None and after.terminal and (before is None or not before.terminal):
            self._m.jobs.labels(after.state.value).inc()
            if after.counts.skipped:
                self._m.job_documents.labels("skipped").inc(after.counts.skipped)
            if after.finished_at is not None:
                self._m.job_duration.observe(max(after.finished_at - after.created_at, 0.0))
        return after
