"""The JobStore contract: records, once-per-batch results, the token swap, cancel and finish. Fake and every
adapter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autbot.domain.jobs import BatchResult, DocumentFailure, Job, JobCounts, JobState, new_job_id
from autbot.ports.job_store import JobStore
from tests.support.fakes import InMemoryJobStore


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=[pytest.mark.slow, pytest.mark.redis])])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    if request.param == "memory":
        yield InMemoryJobStore()
    elif request.param == "redis":
        import redis

        from autbot.adapters.jobs.redis.store import RedisJobStore

        client = redis.Redis.from_url(request.getfixturevalue("redis_server").url, socket_timeout=2)
        yield RedisJobStore(client, prefix=f"test:{uuid.uuid4().hex}:")
        client.close()
    else:
        from autbot.adapters.jobs.embedded.store import SqliteJobStore

        sqlite = SqliteJobStore(tmp_path / "jobs.sqlite3")
        yield sqlite
        sqlite.close()


def job(*, owner: str = "alice", collection: str = "kb", total: int = 40, at: float = 100.0) -> Job:
    return Job(
        id=new_job_id(),
        collection=collection,
        owner=owner,
        kind="documents",
        state=JobState.QUEUED,
        counts=JobCounts(total=total),
        batches=-(-total // 16),
        created_at=at,
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )


FAIL = DocumentFailure(item="bad.pdf", code="document_unparseable", message="broken")


def test_satisfies_the_protocol(store: JobStore) -> None:
    assert isinstance(store, JobStore)
    assert store.health().ok


def test_create_then_get_round_trips_the_record(store: JobStore) -> None:
    j = job()
    store.create(j)
    assert store.get(j.id) == j
    assert store.get(new_job_id()) is None


def test_list_filters_by_owner_collection_and_state_newest_first(store: JobStore) -> None:
    a, b, c = job(at=1.0), job(at=2.0, collection="other"), job(owner="bob", at=3.0)
    for j in (a, b, c):
        store.create(j)
    store.finish(a.id, JobState.SUCCEEDED, 5.0)
    assert [j.id for j in store.find(owner=None, collection=None, state=None, limit=10)] == [c.id, b.id, a.id]
    assert [j.id for j in store.find(owner="alice", collection=None, state=None, limit=10)] == [b.id, a.id]
    assert [j.id for j in store.find(owner=None, collection="kb", state=None, limit=10)] == [c.id, a.id]
    assert [j.id for j in store.find(owner=None, collection=None, state=JobState.SUCCEEDED, limit=10)] == [a.id]
    assert len(store.find(owner=None, collection=None, state=None, limit=2)) == 2


def test_unfinished_counts_jobs_and_documents_per_owner(store: JobStore) -> None:
    a, b, c = job(total=10), job(total=5), job(owner="bob", total=7)
    for j in (a, b, c):
        store.create(j)
    store.finish(b.id, JobState.FAILED, 1.0, "x")
    assert store.unfinished("alice") == (1, 10)
    assert store.unfinished(None) == (2, 17)
    assert store.unfinished("nobody") == (0, 0)


def test_begin_batch_starts_the_job_and_counts_earlier_starts(store: JobStore) -> None:
    j = job()
    store.create(j)
    assert store.begin_batch(j.id, 0, 200.0) == 0
    assert store.begin_batch(j.id, 0, 201.0) == 1
    got = store.get(j.id)
    assert got is not None
    assert (got.state, got.started_at) == (JobState.RUNNING, 200.0)


def test_a_batch_is_recorded_once_whatever_is_redelivered(store: JobStore) -> None:
    j = job(total=20)
    store.create(j)
    result = BatchResult(created=10, updated=3, unchanged=2, chunks=40, bytes=999, failures=(FAIL,))
    once = store.record_batch(j.id, 0, result)
    twice = store.record_batch(j.id, 0, result)
    assert once == twice
    assert once.next_batch == 1
    assert once.counts == JobCounts(
        total=20, done=16, created=10, updated=3, unchanged=2, failed=1, chunks=40, bytes=999
    )
    assert store.failures(j.id, offset=0, limit=10) == ([FAIL], 1)
    skipped_ahead = store.record_batch(j.id, 5, result)  # not the next batch: nothing changes
    assert skipped_ahead.counts == once.counts


def test_failures_are_paged_in_order(store: JobStore) -> None:
    j = job(total=40)
    store.create(j)
    fails = tuple(DocumentFailure(item=f"d{i}", code="empty_document", message="no text") for i in range(5))
    store.record_batch(j.id, 0, BatchResult(failures=fails[:3]))
    store.record_batch(j.id, 1, BatchResult(failures=fails[3:]))
    assert store.failures(j.id, offset=2, limit=2) == (list(fails[2:4]), 5)


def test_swap_token_is_a_compare_and_set(store: JobStore) -> None:
    j = job()
    store.create(j)
    assert store.swap_token(j.id, j.token, "next")
    assert not store.swap_token(j.id, j.token, "other")
    got = store.get(j.id)
    assert got is not None
    assert got.token == "next"


def test_cancel_ends_a_queued_job_at_once_and_marks_a_running_one(store: JobStore) -> None:
    queued, running = job(), job()
    store.create(queued)
    store.create(running)
    store.begin_batch(running.id, 0, 1.0)
    q = store.request_cancel(queued.id, 2.0)
    r = store.request_cancel(running.id, 2.0)
    assert q is not None
    assert r is not None
    assert (q.state, q.counts.skipped, q.finished_at) == (JobState.CANCELLED, 40, 2.0)
    assert (r.state, r.cancel_requested) == (JobState.RUNNING, True)
    assert store.request_cancel(new_job_id(), 2.0) is None


def test_finish_ends_once_and_counts_the_rest_as_skipped(store: JobStore) -> None:
    j = job(total=20)
    store.create(j)
    store.begin_batch(j.id, 0, 1.0)
    store.record_batch(j.id, 0, BatchResult(created=16))
    done = store.finish(j.id, JobState.FAILED, 9.0, "embedder_unavailable: down")
    again = store.finish(j.id, JobState.SUCCEEDED, 10.0)
    assert done == again
    assert done is not None
    assert (done.state, done.error, done.counts.skipped, done.finished_at) == (
        JobState.FAILED,
        "embedder_unavailable: down",
        4,
        9.0,
    )
    after = store.record_batch(j.id, 1, BatchResult(created=4))  # a late batch of an ended job changes nothing
    assert after.counts == done.counts


def test_ended_jobs_past_retention_are_found_oldest_first_and_deleted_whole(store: JobStore) -> None:
    old, newer, recent, running = job(at=10.0), job(at=20.0), job(at=30.0), job(at=5.0)
    for j in (old, newer, recent, running):
        store.create(j)
    store.begin_batch(running.id, 0, 6.0)
    store.begin_batch(old.id, 0, 11.0)
    store.record_batch(old.id, 0, BatchResult(created=15, failures=(FAIL,)))
    store.finish(old.id, JobState.FAILED, 50.0, "boom")
    store.finish(newer.id, JobState.SUCCEEDED, 60.0)
    store.request_cancel(recent.id, 200.0)  # queued: cancelled at once, at 200
    assert store.ended_before(100.0, 10) == [old.id, newer.id]
    assert store.ended_before(100.0, 1) == [old.id]
    assert store.ended_before(55.0, 10) == [old.id]
    store.delete(old.id)
    store.delete(old.id)  # gone already: no error
    assert store.get(old.id) is None
    assert store.failures(old.id, offset=0, limit=10) == ([], 0)
    assert [j.id for j in store.find(owner=None, collection=None, state=None, limit=10)] == [
        recent.id,
        newer.id,
        running.id,
    ]
    assert store.ended_before(1000.0, 10) == [newer.id, recent.id]  # never the running one
    assert store.unfinished("alice") == (1, 40)


def test_expire_jobs_on_an_injected_clock_deletes_records_failures_and_inputs(store: JobStore) -> None:
    from autbot.use_cases.job_retention import ExpireJobs
    from tests.support.fakes import InMemoryBlobStore

    now = [1000.0]
    blobs = InMemoryBlobStore()
    expire = ExpireJobs(store=store, blobs=blobs, retention_s=100.0, limit=2, clock=lambda: now[0])
    jobs = [job(at=float(i)) for i in range(3)]
    for i, j in enumerate(jobs):
        store.create(j)
        blobs.put(f"{j.id}/b0.json", b"{}")  # inputs a crash left behind
        store.finish(j.id, JobState.SUCCEEDED, 1000.0 + i)
    assert expire.execute() == []
    now[0] = 1101.5  # the first two are past retention, the third (ended at 1002) not yet
    assert expire.execute() == [jobs[0].id, jobs[1].id]
    assert [store.get(j.id) is None for j in jobs] == [True, True, False]
    assert [blobs.get(f"{j.id}/b0.json") is None for j in jobs] == [True, True, False]
    now[0] = 5000.0
    assert expire.execute() == [jobs[2].id]
    assert expire.execute() == []
    forever = ExpireJobs(store=store, blobs=blobs, retention_s=0, clock=lambda: 1e12)
    store.create(j := job(at=1.0))
    store.finish(j.id, JobState.SUCCEEDED, 2.0)
    assert forever.execute() == []
