from __future__ import annotations

from typing import Protocol, runtime_checkable

from autbot.domain.jobs import BatchResult, DocumentFailure, Job, JobState
from autbot.domain.model import HealthStatus


@runtime_checkable
class JobStore(Protocol):
    """Job records, their per-document failures and per-batch bookkeeping. Every method raises
    ``JobStoreUnavailable`` when the store cannot answer; each change is one atomic step, so two workers
    racing on one job see one winner.
    """

    def create(self, job: Job) -> None: ...

    def get(self, job_id: str) -> Job | None: ...

    def find(self, *, owner: str | None, collection: str | None, state: JobState | None, limit: int) -> list[Job]:
        """Jobs, newest first; ``owner`` None means every owner."""
        ...

    def unfinished(self, owner: str | None) -> tuple[int, int]:
        """(jobs, documents) of ``owner``'s queued or running jobs (everyone's when ``owner`` is None)."""
        ...

    def begin_batch(self, job_id: str, batch: int, now: float) -> int:
        """Note that ``batch`` starts (the job becomes ``running``); returns how many times it started before
        (more than 0: an earlier attempt was cut short and may have committed part of it)."""
        ...

    def record_batch(self, job_id: str, batch: int, result: BatchResult) -> Job:
        """Add ``batch``'s result and failures once: if ``batch`` is not the job's next one (already recorded),
        nothing changes. Returns the job as it is now."""
        ...

    def swap_token(self, job_id: str, old: str, new: str) -> bool:
        """Set the job's live message token to ``new`` if it is still ``old``."""
        ...

    def request_cancel(self, job_id: str, now: float) -> Job | None:
        """Mark the job to stop before its next batch (a queued job ends ``cancelled`` at once)."""
        ...

    def finish(
        self, job_id: str, state: JobState, now: float, error: str | None = None, outcome: str | None = None
    ) -> Job | None:
        """End the job in ``state`` unless it already ended; the rest is counted as skipped."""
        ...

    def failures(self, job_id: str, *, offset: int, limit: int) -> tuple[list[DocumentFailure], int]:
        """A page of the job's per-document failures in the order they happened, and how many there are."""
        ...

    def ended_before(self, before: float, limit: int) -> list[str]:
        """Ids of at most ``limit`` ended jobs that ended before ``before``, oldest first (a bounded look: a job
        may wait for a later call)."""
        ...

    def delete(self, job_id: str) -> None:
        """Forget a job: its record, failures and batch bookkeeping (no error if it is gone)."""
        ...

    def health(self) -> HealthStatus: ...
