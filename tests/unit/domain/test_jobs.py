"""Jobs in the domain: ids, transitions, counts once per batch, throughput and ETA."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.errors import InvalidInput
from autbot.domain.jobs import (
    BatchResult,
    DocumentFailure,
    Job,
    JobCounts,
    JobMessage,
    JobState,
    batch_count,
    cancelling,
    cut_batches,
    eta_s,
    finished,
    from_record,
    new_job_id,
    parse_state,
    started,
    throughput,
    to_record,
    validate_job_id,
    with_batch,
)


def job(total: int = 32, job_id: str | None = None) -> Job:
    return Job(
        id=job_id or new_job_id(),
        token="t0",
        collection="kb",
        owner="alice",
        kind="files",
        state=JobState.QUEUED,
        counts=JobCounts(total=total),
        batches=batch_count(total, 16),
        created_at=10.0,
    )


def test_job_ids_are_validated_whole() -> None:
    good = new_job_id()
    assert validate_job_id(good) == good
    for bad in (good + "\n", good[:-1], "job_../../etc/passwd", "", good.replace("job_", "jab_")):
        with pytest.raises(InvalidInput):
            validate_job_id(bad)


def test_unknown_state_is_invalid_input() -> None:
    assert parse_state("running") is JobState.RUNNING
    with pytest.raises(InvalidInput):
        parse_state("paused")


def test_batch_count_rounds_up_and_is_never_zero() -> None:
    assert [batch_count(n, 16) for n in (0, 1, 16, 17, 32)] == [1, 1, 1, 2, 2]


batch_results = st.builds(
    BatchResult,
    created=st.integers(0, 5),
    updated=st.integers(0, 5),
    unchanged=st.integers(0, 5),
    chunks=st.integers(0, 50),
    bytes=st.integers(0, 10_000),
    failures=st.lists(st.just(DocumentFailure(item="x", code="empty_document", message="m")), max_size=3).map(tuple),
)


@given(st.lists(batch_results, min_size=1, max_size=8), st.lists(st.integers(0, 9), max_size=20))
def test_counts_add_each_batch_once_whatever_is_replayed(results: list[BatchResult], replays: list[int]) -> None:
    j = started(job(total=1000, job_id="job_" + "A" * 20), 11.0)  # no randomness inside the property
    for k, r in enumerate(results):
        j = with_batch(j, k, r)
        for again in replays:  # redeliveries of any batch, recorded or not yet, change nothing
            if again != k + 1:
                assert with_batch(j, again, r) is j
    assert j.next_batch == len(results)
    assert j.counts.done == sum(r.done for r in results)
    assert j.counts.failed == sum(len(r.failures) for r in results)
    assert j.counts.created + j.counts.updated + j.counts.unchanged + j.counts.failed == j.counts.done


def test_finishing_counts_the_rest_as_skipped_once() -> None:
    j = with_batch(started(job(total=40), 11.0), 0, BatchResult(created=16))
    done = finished(j, JobState.CANCELLED, 20.0)
    assert (done.state, done.counts.skipped, done.finished_at) == (JobState.CANCELLED, 24, 20.0)
    assert finished(done, JobState.SUCCEEDED, 30.0) is done


def test_cancelling_a_queued_job_ends_it_and_a_running_one_is_marked() -> None:
    assert cancelling(job(), 5.0).state is JobState.CANCELLED
    running = cancelling(started(job(), 1.0), 5.0)
    assert (running.state, running.cancel_requested) == (JobState.RUNNING, True)


def test_throughput_and_eta() -> None:
    j = job(total=100)
    assert throughput(j, 50.0) == (0.0, 0.0)
    assert eta_s(j, 50.0) is None
    j = with_batch(started(j, 10.0), 0, BatchResult(created=20, chunks=60))
    assert throughput(j, 20.0) == (2.0, 6.0)
    assert eta_s(j, 20.0) == 40.0
    assert eta_s(finished(j, JobState.SUCCEEDED, 20.0), 20.0) is None


def test_records_round_trip() -> None:
    j = replace(job(), traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01", error="x")
    assert from_record(to_record(j)) == j
    m = JobMessage(job_id=j.id, batch=3, token="t", traceparent=None)
    assert JobMessage.from_record(m.to_record()) == m


@given(
    sizes=st.lists(st.integers(0, 50), max_size=40),
    max_items=st.integers(1, 8),
    max_bytes=st.integers(1, 60),
)
def test_batches_cover_every_input_once_in_order_within_both_bounds(
    sizes: list[int], max_items: int, max_bytes: int
) -> None:
    cuts = cut_batches(sizes, max_items, max_bytes)
    assert [i for cut in cuts for i in cut] == list(range(len(sizes)))  # all, once, in order
    assert all(len(cut) >= 1 for cut in cuts) or sizes == []
    for cut in cuts:
        assert len(cut) <= max_items
        held = sum(sizes[i] for i in cut)
        assert held <= max_bytes or len(cut) == 1  # only a single input larger than the bound passes it


def test_batches_close_at_the_count_or_before_the_bytes_pass_the_bound() -> None:
    assert cut_batches([], 64, 100) == [range(0)]
    assert cut_batches([1] * 130, 64, 10_000) == [range(64), range(64, 128), range(128, 130)]
    assert cut_batches([40, 40, 40, 500, 10], 64, 100) == [range(2), range(2, 3), range(3, 4), range(4, 5)]
