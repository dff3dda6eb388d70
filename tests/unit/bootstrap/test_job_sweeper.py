"""The sweeper of expired jobs: sweeps at start, again every interval, survives a failing store, stops."""

from __future__ import annotations

import threading

from autbot.domain.errors import JobStoreUnavailable
from autbot.domain.jobs import Job, JobCounts, JobState, new_job_id
from autbot.entrypoints.bootstrap.job_runtime import JobSweeper
from autbot.use_cases.job_retention import ExpireJobs
from tests.support.fakes import InMemoryBlobStore, InMemoryJobStore


class FlakyStore(InMemoryJobStore):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.swept = threading.Event()

    def ended_before(self, before: float, limit: int) -> list[str]:
        self.calls += 1
        if self.calls == 1:
            raise JobStoreUnavailable("down")
        found = super().ended_before(before, limit)
        self.swept.set()
        return found


def ended_job(store: InMemoryJobStore) -> str:
    job = Job(
        id=new_job_id(),
        collection="kb",
        owner="a",
        kind="documents",
        state=JobState.QUEUED,
        counts=JobCounts(total=1),
        batches=1,
        created_at=1.0,
    )
    store.create(job)
    store.finish(job.id, JobState.SUCCEEDED, 2.0)
    return job.id


def test_a_failed_sweep_is_tried_again_on_the_next_interval() -> None:
    store = FlakyStore()
    job_id = ended_job(store)
    sweeper = JobSweeper(ExpireJobs(store=store, blobs=InMemoryBlobStore(), retention_s=1.0), interval_s=0.01)
    sweeper.start()
    assert store.swept.wait(10)
    sweeper.stop(5)
    assert store.get(job_id) is None
    assert store.calls >= 2


def test_one_sweep_is_bounded() -> None:
    store = InMemoryJobStore()
    ids = [ended_job(store) for _ in range(5)]
    sweeper = JobSweeper(ExpireJobs(store=store, blobs=InMemoryBlobStore(), retention_s=1.0, limit=2))
    assert sweeper.sweep() == 2
    assert sum(store.get(i) is None for i in ids) == 2


def test_a_backlog_drains_in_bounded_sweeps_one_after_another() -> None:
    store = InMemoryJobStore()
    ids = [ended_job(store) for _ in range(5)]
    expire = ExpireJobs(store=store, blobs=InMemoryBlobStore(), retention_s=1.0, limit=2)
    sweeper = JobSweeper(expire, interval_s=3600)  # no second interval within the test: full sweeps repeat at once
    sweeper.start()
    try:
        deadline = threading.Event()
        for _ in range(200):
            if all(store.get(i) is None for i in ids):
                break
            deadline.wait(0.05)
        assert all(store.get(i) is None for i in ids)
    finally:
        sweeper.stop(5)
