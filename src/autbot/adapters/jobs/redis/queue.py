"""The scale-out job queue: Dramatiq's Redis broker, used through its consumer (fetch, ack, requeue).

Dramatiq's dispatch script moves a fetched message into this process's acknowledgement set and deletes it only on
``ack``. Each broker refreshes its heartbeat on every command (and a background thread here refreshes it while a
batch runs); when a process stops beating for ``heartbeat_timeout_s`` (``kill -9``, a lost pod), the next
maintenance pass by any live process puts its unacknowledged messages back on the queue. Messages are served in
order (a Redis list). AutBot runs the batch itself (``RunBatch``), so the actor and worker layers of Dramatiq
are not used, and retries with backoff stay in the use case (per batch, with the job's failure after the last).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from autbot.domain.errors import JobStoreUnavailable
from autbot.domain.jobs import JobMessage
from autbot.domain.model import HealthStatus
from autbot.ports.job_queue import Delivery

ACTOR = "autbot_job_batch"


class DramatiqRedisJobQueue:
    def __init__(
        self,
        client: Any,
        *,
        namespace: str = "autbot-jobs",
        queue_name: str = "batches",
        heartbeat_timeout_s: float = 30.0,
        maintenance_chance: float = 0.05,
    ) -> None:
        try:
            from dramatiq.brokers.redis import RedisBroker
        except ImportError as e:  # pragma: no cover - a dependency of the package
            raise JobStoreUnavailable("dramatiq is not installed (uv sync).") from e
        self._broker: Any = RedisBroker(  # type: ignore[no-untyped-call]
            client=client,
            middleware=[],
            namespace=namespace,
            heartbeat_timeout=int(heartbeat_timeout_s * 1000),
            maintenance_chance=int(maintenance_chance * 1_000_000),
        )
        self._client = client
        self._queue = queue_name
        self._list_key = f"{namespace}:{queue_name}"
        self._broker.declare_queue(queue_name)
        self._local = threading.local()  # one consumer (one message in hand) per worker thread
        self._beat_s = max(heartbeat_timeout_s / 4, 0.05)
        self._closed = threading.Event()
        threading.Thread(target=self._beat, name="autbot-jobs-heartbeat", daemon=True).start()

    def enqueue(self, message: JobMessage) -> None:
        from dramatiq import Message

        m: Any = Message(queue_name=self._queue, actor_name=ACTOR, args=(message.to_record(),), kwargs={}, options={})
        self._run(lambda: self._broker.enqueue(m))

    def receive(self, timeout_s: float) -> Delivery | None:
        deadline = time.monotonic() + max(timeout_s, 0.0)
        consumer = self._consumer()
        consumer.prefetch = len(consumer.queued_message_ids) + 1  # fetch one more, never hoard a second
        while True:
            proxy = self._run(lambda: next(consumer))
            if proxy is not None:
                return Delivery(message=JobMessage.from_record(proxy.args[0]), receipt=(consumer, proxy))
            if time.monotonic() >= deadline:
                return None

    def ack(self, delivery: Delivery) -> None:
        consumer, proxy = _receipt(delivery)
        self._run(lambda: consumer.ack(proxy))

    def release(self, delivery: Delivery) -> None:
        consumer, proxy = _receipt(delivery)
        self._run(lambda: consumer.requeue([proxy]))
        consumer.queued_message_ids.discard(proxy.message_id)

    def _consumer(self) -> Any:
        consumer = getattr(self._local, "consumer", None)
        if consumer is None:
            consumer = self._local.consumer = self._broker.consume(self._queue, prefetch=1, timeout=200)
        return consumer

    def depth(self) -> int:
        return int(self._run(lambda: self._client.llen(self._list_key)))

    def health(self) -> HealthStatus:
        try:
            self._run(lambda: self._client.ping())
        except JobStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True)

    def close(self) -> None:
        self._closed.set()

    def _beat(self) -> None:
        """Refresh this process's heartbeat while it works (any broker command does)."""
        while not self._closed.wait(self._beat_s):
            with contextlib.suppress(Exception):
                self._broker.do_qsize(self._queue)

    def _run(self, call: Any) -> Any:
        import redis

        try:
            return call()
        except (redis.RedisError, OSError) as e:
            raise JobStoreUnavailable(f"The job queue (Redis) failed: {e}") from e
        except Exception as e:
            if type(e).__name__ == "ConnectionClosed":  # dramatiq's wrapper of a lost connection
                raise JobStoreUnavailable(f"The job queue (Redis) failed: {e}") from e
            raise


def _receipt(delivery: Delivery) -> tuple[Any, Any]:
    receipt: Any = delivery.receipt  # set by receive: (consumer, message proxy)
    return receipt[0], receipt[1]
