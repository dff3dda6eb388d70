"""The JobQueue contract: FIFO, at-least-once (an unacknowledged message comes back after its worker dies),
gone for good once acknowledged. Run on the fake and on every adapter."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from autbot.domain.jobs import JobMessage
from autbot.ports.job_queue import JobQueue
from tests.support.fakes import InMemoryJobQueue


class Queues:
    """Opens the queue; ``after_crash`` gives the queue as a new worker sees it once this one died."""

    def __init__(self, open_queue: Callable[[], JobQueue], crash: Callable[[JobQueue], JobQueue]) -> None:
        self.open = open_queue
        self._crash = crash

    def after_crash(self, queue: JobQueue) -> JobQueue:
        return self._crash(queue)


def _memory() -> Queues:
    q = InMemoryJobQueue()

    def crash(queue: JobQueue) -> JobQueue:
        assert isinstance(queue, InMemoryJobQueue)
        queue.crash()
        return queue

    return Queues(lambda: q, crash)


def _sqlite(tmp_path: Path) -> Queues:
    from autbot.adapters.jobs.embedded.queue import SqliteJobQueue

    def crash(queue: JobQueue) -> JobQueue:
        assert isinstance(queue, SqliteJobQueue)
        queue.close()  # what is on disk is what a kill -9 leaves: unacked items are marked so
        return SqliteJobQueue(tmp_path / "queue")

    return Queues(lambda: SqliteJobQueue(tmp_path / "queue"), crash)


def _redis(url: str) -> Queues:
    import redis

    from autbot.adapters.jobs.redis.queue import DramatiqRedisJobQueue

    namespace = f"test-{uuid.uuid4().hex}"

    def open_queue() -> JobQueue:
        client = redis.Redis.from_url(url, socket_timeout=2)
        return DramatiqRedisJobQueue(client, namespace=namespace, heartbeat_timeout_s=0.3, maintenance_chance=1.0)

    def crash(queue: JobQueue) -> JobQueue:
        assert isinstance(queue, DramatiqRedisJobQueue)
        queue.close()  # its heartbeat stops, as a killed worker's does
        time.sleep(0.6)
        return open_queue()

    return Queues(open_queue, crash)


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=[pytest.mark.slow, pytest.mark.redis])])
def queues(request: pytest.FixtureRequest, tmp_path: Path) -> Queues:
    if request.param == "redis":
        return _redis(request.getfixturevalue("redis_server").url)
    return _memory() if request.param == "memory" else _sqlite(tmp_path)


def msg(batch: int, job: str = "job_AAAAAAAAAAAAAAAAAAAA") -> JobMessage:
    return JobMessage(job_id=job, batch=batch, token=f"t{batch}", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01")


def test_satisfies_the_protocol(queues: Queues) -> None:
    q = queues.open()
    assert isinstance(q, JobQueue)
    assert q.health().ok


def test_first_in_first_out_and_messages_round_trip(queues: Queues) -> None:
    q = queues.open()
    for i in range(3):
        q.enqueue(msg(i, job=f"job_{chr(65 + i) * 20}"))
    assert q.depth() == 3
    got = [q.receive(1.0) for _ in range(3)]
    assert [d.message for d in got if d] == [msg(i, job=f"job_{chr(65 + i) * 20}") for i in range(3)]
    for d in got:
        assert d is not None
        q.ack(d)
    assert q.depth() == 0


def test_receive_on_an_empty_queue_times_out_with_none(queues: Queues) -> None:
    assert queues.open().receive(0.05) is None


def test_an_acknowledged_message_never_comes_back(queues: Queues) -> None:
    q = queues.open()
    q.enqueue(msg(0))
    d = q.receive(1.0)
    assert d is not None
    q.ack(d)
    q = queues.after_crash(q)
    assert q.receive(0.05) is None


def test_an_unacknowledged_message_is_delivered_again_after_its_worker_dies(queues: Queues) -> None:
    q = queues.open()
    q.enqueue(msg(0))
    q.enqueue(msg(1))
    first = q.receive(1.0)
    assert first is not None
    assert first.message == msg(0)
    q = queues.after_crash(q)
    again = [q.receive(1.0) for _ in range(2)]
    assert sorted(d.message.batch for d in again if d) == [0, 1]


def test_a_released_message_is_delivered_again(queues: Queues) -> None:
    q = queues.open()
    q.enqueue(msg(0))
    d = q.receive(1.0)
    assert d is not None
    q.release(d)
    again = q.receive(1.0)
    assert again is not None
    assert again.message == msg(0)
    q.ack(again)
    assert q.receive(0.05) is None
