"""Jobs over the fakes: submit, run batch by batch, exact counts through crashes and redeliveries, retries,
cancel, fairness, per-key limits and who may see a job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.domain.auth import Principal, Scope
from autbot.domain.errors import EmbedderUnavailable, JobLimitReached, JobNotFound
from autbot.domain.jobs import Job, JobCounts, JobState
from autbot.domain.model import DocumentInput
from autbot.use_cases.ingest_files import UploadedFile
from autbot.use_cases.job_batches import RetryPolicy, RunBatch
from autbot.use_cases.jobs import (
    CancelJob,
    GetJob,
    JobLimits,
    JobRef,
    ListJobs,
    ListJobsRequest,
    SubmitJob,
    SubmitJobRequest,
)
from tests.support.fakes import InMemoryBlobStore, InMemoryJobQueue, InMemoryJobStore, World

ALICE = Principal(name="alice", scopes=frozenset({Scope.INGEST, Scope.QUERY}))
BOB = Principal(name="bob", scopes=frozenset({Scope.INGEST}))
ADMIN = Principal(name="root", scopes=frozenset({Scope.ADMIN}))


class Killed(BaseException):
    """A worker's death in the middle of its work (nothing after it runs)."""


class FlakyEmbedder(HashingEmbedder):
    def __init__(self, failures: int) -> None:
        super().__init__(dimension=128)
        self.failures = failures

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self.failures:
            self.failures -= 1
            raise EmbedderUnavailable("down")
        return super().embed(texts)


class Jobs:
    def __init__(self, *, embedder: HashingEmbedder | None = None, limits: JobLimits | None = None) -> None:
        self.world = World()
        self.store, self.queue, self.blobs = InMemoryJobStore(), InMemoryJobQueue(), InMemoryBlobStore()
        limits = limits or JobLimits(batch_size=16)  # several batches in the tests' small jobs
        self.submit = SubmitJob(store=self.store, queue=self.queue, blobs=self.blobs, limits=limits)
        self.sleeps: list[float] = []
        self.run = RunBatch(
            store=self.store,
            queue=self.queue,
            blobs=self.blobs,
            ingest=self.world.ingester(embedder=embedder),
            reader=MultiFormatDocumentReader(),
            registry=self.world.registry,
            retry=RetryPolicy(attempts=3, base_s=0.5),
            sleep=self.sleeps.append,
        )
        self.order: list[str] = []

    def docs(self, n: int, prefix: str = "d", **kw: object) -> SubmitJobRequest:
        docs = tuple(
            DocumentInput(id=f"{prefix}{i}", text=f"Document {prefix} number {i} about things.") for i in range(n)
        )
        return SubmitJobRequest(collection="kb", principal=ALICE, documents=docs, **kw)  # type: ignore[arg-type]

    def step(self) -> bool:
        d = self.queue.receive(0)
        if d is None:
            return False
        self.order.append(d.message.job_id)
        self.run.execute(d.message)
        self.queue.ack(d)
        return True

    def drain(self) -> None:
        while self.step():
            pass

    def job(self, job_id: str) -> Job:
        j = self.store.get(job_id)
        assert j is not None
        return j


def test_a_job_ingests_every_document_and_records_a_bad_one_as_failed() -> None:
    jobs = Jobs()
    request = jobs.docs(40)
    request = replace(
        request, documents=(*request.documents[:5], DocumentInput(id="blank", text="  "), *request.documents[5:])
    )
    job = jobs.submit.execute(request)
    assert (job.state, job.batches, job.counts.total) == (JobState.QUEUED, 3, 41)
    jobs.drain()
    done = jobs.job(job.id)
    assert done.state is JobState.SUCCEEDED
    assert (done.counts.done, done.counts.created, done.counts.failed, done.counts.skipped) == (41, 40, 1, 0)
    assert done.counts.chunks == 40
    failures, total = jobs.store.failures(job.id, offset=0, limit=10)
    assert total == 1
    assert (failures[0].item, failures[0].code) == ("blank", "empty_document")
    assert jobs.world.registry.list_documents("kb", offset=0, limit=100)[1] == 40
    assert jobs.blobs.get(f"{job.id}/b0.json") is None  # inputs go when the job ends


def test_uploaded_files_become_documents_and_an_unreadable_one_fails_alone() -> None:
    jobs = Jobs()
    files = (
        UploadedFile(data=b"Hello from a text file.", filename="a.txt", media_type="text/plain"),
        UploadedFile(data=b"\x00\x01binary", filename="b.exe", media_type="application/octet-stream"),
        UploadedFile(data=b"# Title\n\nMarkdown body.", filename="c.md", media_type="text/markdown"),
    )
    job = jobs.submit.execute(SubmitJobRequest(collection="kb", principal=ALICE, files=files, metadata={"team": "x"}))
    jobs.drain()
    done = jobs.job(job.id)
    assert (done.state, done.counts.created, done.counts.failed) == (JobState.SUCCEEDED, 2, 1)
    assert done.counts.bytes == sum(len(f.data) for f in files)
    assert jobs.store.failures(job.id, offset=0, limit=5)[0][0].item == "b.exe"
    docs, _ = jobs.world.registry.list_documents("kb", offset=0, limit=10)
    assert {d.metadata.get("team") for d in docs} == {"x"}


def test_a_worker_killed_after_committing_a_batch_leaves_exact_counts() -> None:
    jobs = Jobs()
    job = jobs.submit.execute(jobs.docs(48))
    jobs.step()
    record = jobs.store.record_batch

    def die(*args: object) -> Job:
        raise Killed

    jobs.store.record_batch = die  # type: ignore[method-assign,assignment]
    with pytest.raises(Killed):
        jobs.step()  # batch 1 is committed to the index, its result never recorded
    jobs.store.record_batch = record  # type: ignore[method-assign]
    jobs.queue.crash()  # the restarted worker gets batch 1 again
    jobs.drain()
    done = jobs.job(job.id)
    assert done.state is JobState.SUCCEEDED
    assert done.counts == JobCounts(total=48, done=48, created=48, chunks=48, bytes=done.counts.bytes)
    assert jobs.world.registry.list_documents("kb", offset=0, limit=100)[1] == 48


def test_a_worker_killed_after_queueing_the_next_batch_runs_nothing_twice() -> None:
    jobs = Jobs()
    job = jobs.submit.execute(jobs.docs(48))
    swap = jobs.store.swap_token

    def die(*args: object) -> bool:
        raise Killed

    jobs.store.swap_token = die  # type: ignore[method-assign,assignment]
    with pytest.raises(Killed):
        jobs.step()  # batch 0 recorded, batch 1 queued, the token never swapped
    jobs.store.swap_token = swap  # type: ignore[method-assign]
    jobs.queue.crash()
    jobs.drain()
    done = jobs.job(job.id)
    assert (done.state, done.counts.done, done.counts.created, done.next_batch) == (JobState.SUCCEEDED, 48, 48, 3)


def test_duplicate_messages_are_dropped() -> None:
    jobs = Jobs()
    job = jobs.submit.execute(jobs.docs(20))
    d = jobs.queue.receive(0)
    assert d is not None
    jobs.queue.enqueue(d.message)  # the engine delivered it twice
    jobs.queue.enqueue(d.message)
    jobs.run.execute(d.message)
    jobs.queue.ack(d)
    jobs.drain()
    done = jobs.job(job.id)
    assert (done.state, done.counts.done, done.counts.created) == (JobState.SUCCEEDED, 20, 20)


def test_transient_failures_are_retried_with_backoff() -> None:
    jobs = Jobs(embedder=FlakyEmbedder(failures=2))
    job = jobs.submit.execute(jobs.docs(5))
    jobs.drain()
    assert jobs.job(job.id).state is JobState.SUCCEEDED
    assert jobs.sleeps == [0.5, 1.0]


def test_a_batch_failing_every_try_fails_the_job_with_the_reason() -> None:
    jobs = Jobs(embedder=FlakyEmbedder(failures=100))
    job = jobs.submit.execute(jobs.docs(20))
    jobs.drain()
    done = jobs.job(job.id)
    assert done.state is JobState.FAILED
    assert done.error is not None
    assert done.error.startswith("embedder_unavailable")
    assert (done.counts.done, done.counts.skipped) == (0, 20)


class BrokenEmbedder(HashingEmbedder):
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise RuntimeError("a bug")


def test_an_unexpected_error_is_retried_then_fails_the_job() -> None:
    jobs = Jobs(embedder=BrokenEmbedder(dimension=128))
    job = jobs.submit.execute(jobs.docs(3))
    jobs.drain()
    done = jobs.job(job.id)
    assert (done.state, done.error) == (JobState.FAILED, "internal_error: RuntimeError (after 3 tries of batch 0)")
    assert jobs.sleeps == [0.5, 1.0]


def test_cancel_stops_before_the_next_batch_and_keeps_what_was_committed() -> None:
    jobs = Jobs()
    job = jobs.submit.execute(jobs.docs(48))
    jobs.step()
    cancel = CancelJob(store=jobs.store)
    assert cancel.execute(JobRef(job_id=job.id, principal=ALICE)).cancel_requested
    jobs.drain()
    done = jobs.job(job.id)
    assert (done.state, done.counts.created, done.counts.skipped) == (JobState.CANCELLED, 16, 32)
    queued = jobs.submit.execute(jobs.docs(3, prefix="q"))
    assert cancel.execute(JobRef(job_id=queued.id, principal=ALICE)).state is JobState.CANCELLED
    jobs.drain()
    assert jobs.job(queued.id).counts.done == 0


def test_a_small_job_waits_at_most_one_batch_of_a_large_one() -> None:
    jobs = Jobs()
    big = jobs.submit.execute(jobs.docs(160, prefix="big"))
    jobs.step()
    small = jobs.submit.execute(jobs.docs(3, prefix="small"))
    while jobs.job(small.id).state is not JobState.SUCCEEDED:
        assert jobs.step()
    assert jobs.order == [big.id, big.id, small.id]


def test_per_key_limits_on_unfinished_jobs_and_documents() -> None:
    jobs = Jobs(limits=JobLimits(batch_size=16, max_queued_jobs_per_key=2, max_queued_documents_per_key=10))
    jobs.submit.execute(jobs.docs(4))
    with pytest.raises(JobLimitReached):
        jobs.submit.execute(jobs.docs(7))
    jobs.submit.execute(jobs.docs(6))
    with pytest.raises(JobLimitReached):
        jobs.submit.execute(jobs.docs(1))
    bob = replace(jobs.docs(1), principal=BOB)
    assert jobs.submit.execute(bob).owner == "bob"  # limits are per key


def test_only_the_owner_or_an_admin_sees_a_job() -> None:
    jobs = Jobs()
    job = jobs.submit.execute(jobs.docs(2))
    get, listing = GetJob(store=jobs.store), ListJobs(store=jobs.store)
    assert get.execute(JobRef(job_id=job.id, principal=ALICE)).job.id == job.id
    assert get.execute(JobRef(job_id=job.id, principal=ADMIN)).job.id == job.id
    with pytest.raises(JobNotFound):
        get.execute(JobRef(job_id=job.id, principal=BOB))
    with pytest.raises(JobNotFound):
        CancelJob(store=jobs.store).execute(JobRef(job_id=job.id, principal=BOB))
    assert listing.execute(ListJobsRequest(principal=BOB)) == []
    assert [j.id for j in listing.execute(ListJobsRequest(principal=ADMIN))] == [job.id]
    narrow = replace(ADMIN, collections=frozenset({"other"}))
    assert listing.execute(ListJobsRequest(principal=narrow)) == []


def test_a_job_is_cut_into_batches_by_count_and_by_size() -> None:
    jobs = Jobs(limits=JobLimits(batch_size=4, batch_bytes=90))
    small = jobs.submit.execute(jobs.docs(10))  # 33 characters each: 2 a batch by size
    assert small.batches == 5
    jobs = Jobs(limits=JobLimits(batch_size=4, batch_bytes=10_000))
    job = jobs.submit.execute(jobs.docs(10))
    assert job.batches == 3  # by count
    while jobs.step():
        pass
    assert jobs.job(job.id).state is JobState.SUCCEEDED
    assert jobs.job(job.id).counts.done == 10
