"""The embedded job queue: persist-queue's ``SQLiteAckQueue`` in the data directory.

Each message is a row (JSON) in one SQLite file (WAL). ``receive`` marks it unacknowledged, ``ack`` marks it
done; opening the queue again (after a crash or ``kill -9``) makes every unacknowledged row ready again
(``auto_resume``), so a batch whose worker died is delivered again. Rows are served in insertion order.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from autbot.domain.errors import JobStoreUnavailable
from autbot.domain.jobs import JobMessage
from autbot.domain.model import HealthStatus
from autbot.ports.job_queue import Delivery

_CLEAR_EVERY = 256
"""Acknowledged rows are deleted every this many acknowledgements (persist-queue keeps them until asked)."""


class SqliteJobQueue:
    def __init__(self, directory: str | Path | None) -> None:
        """``directory`` None: in memory (nothing survives the process; for the in-memory index)."""
        try:
            from persistqueue import SQLiteAckQueue
            from persistqueue.serializers import json as json_serializer
        except ImportError as e:  # pragma: no cover - a dependency of the package
            raise JobStoreUnavailable("persist-queue is not installed (uv sync).") from e
        self._path = ":memory:" if directory is None else str(directory)
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
        try:
            self._q: Any = SQLiteAckQueue(self._path, auto_resume=True, multithreading=True, serializer=json_serializer)
        except sqlite3.Error as e:
            raise JobStoreUnavailable(f"Could not open the job queue at {self._path}: {e}") from e
        self._acks = 0

    def enqueue(self, message: JobMessage) -> None:
        self._run(lambda: self._q.put(message.to_record()))

    def receive(self, timeout_s: float) -> Delivery | None:
        from persistqueue import Empty

        try:
            raw = self._q.get(block=True, timeout=max(timeout_s, 0.0), raw=True)
        except Empty:
            return None
        except sqlite3.Error as e:
            raise JobStoreUnavailable(f"The job queue failed: {e}") from e
        return Delivery(message=JobMessage.from_record(raw["data"]), receipt=raw["pqid"])

    def ack(self, delivery: Delivery) -> None:
        self._run(lambda: self._q.ack(id=delivery.receipt))
        self._acks += 1
        if self._acks % _CLEAR_EVERY == 0:
            self._run(lambda: self._q.clear_acked_data(keep_latest=0))

    def release(self, delivery: Delivery) -> None:
        self._run(lambda: self._q.nack(id=delivery.receipt))

    def depth(self) -> int:
        return int(self._run(lambda: self._q.qsize()))

    def health(self) -> HealthStatus:
        try:
            self.depth()
        except JobStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True)

    def close(self) -> None:
        self._q.close()

    def _run(self, call: Any) -> Any:
        try:
            return call()
        except sqlite3.Error as e:
            raise JobStoreUnavailable(f"The job queue failed: {e}") from e
