"""Job records on Redis: one JSON string per job, changed under ``WATCH`` (optimistic transactions), so two
workers racing on one job see one winner; an index of jobs by creation time, a set of unfinished ones, a list
of each job's failures and a hash of batch starts. Durable as the Redis is (``appendonly yes``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from autbot.domain.errors import JobStoreUnavailable
from autbot.domain.jobs import (
    BatchResult,
    DocumentFailure,
    Job,
    JobState,
    cancelling,
    failure_from_record,
    failure_record,
    finished,
    from_record,
    started,
    to_record,
    with_batch,
)
from autbot.domain.model import HealthStatus

_SCAN_LIMIT = 10_000
"""Newest jobs looked at by ``find`` (its filters are applied to these), oldest by ``ended_before``."""


class RedisJobStore:
    def __init__(self, client: Any, *, prefix: str = "autbot:jobs:") -> None:
        self._r = client
        self._p = prefix

    def create(self, job: Job) -> None:
        def run() -> None:
            pipe = self._r.pipeline(transaction=True)
            pipe.set(self._key(job.id), json.dumps(to_record(job)))
            pipe.zadd(self._p + "index", {job.id: job.created_at})
            pipe.sadd(self._p + "unfinished", job.id)
            pipe.execute()

        self._run(run)

    def get(self, job_id: str) -> Job | None:
        raw = self._run(lambda: self._r.get(self._key(job_id)))
        return from_record(json.loads(raw)) if raw else None

    def find(self, *, owner: str | None, collection: str | None, state: JobState | None, limit: int) -> list[Job]:
        ids = _strs(self._run(lambda: self._r.zrevrange(self._p + "index", 0, _SCAN_LIMIT - 1)))
        out: list[Job] = []
        for start in range(0, len(ids), 200):
            for job in self._many(ids[start : start + 200]):
                if _matches(job, owner, collection, state):
                    out.append(job)
                    if len(out) >= limit:
                        return out
        return out

    def unfinished(self, owner: str | None) -> tuple[int, int]:
        ids = [
            i.decode() if isinstance(i, bytes) else i
            for i in self._run(lambda: self._r.smembers(self._p + "unfinished"))
        ]
        jobs = [j for j in self._many(ids) if not j.terminal and (owner is None or j.owner == owner)]
        return len(jobs), sum(j.counts.total for j in jobs)

    def begin_batch(self, job_id: str, batch: int, now: float) -> int:
        self._update(job_id, lambda j: started(j, now))
        return int(self._run(lambda: self._r.hincrby(self._p + "starts:" + job_id, str(batch), 1))) - 1

    def record_batch(self, job_id: str, batch: int, result: BatchResult) -> Job:
        failures = [json.dumps(failure_record(f)) for f in result.failures]
        job = self._update(
            job_id,
            lambda j: with_batch(j, batch, result),
            also=lambda pipe: _push(pipe, self._p + "failures:" + job_id, failures),
        )
        assert job is not None
        return job

    def swap_token(self, job_id: str, old: str, new: str) -> bool:
        job = self._update(job_id, lambda j: replace(j, token=new) if j.token == old else j)
        return job is not None and job.token == new

    def request_cancel(self, job_id: str, now: float) -> Job | None:
        return self._update(job_id, lambda j: cancelling(j, now))

    def finish(
        self, job_id: str, state: JobState, now: float, error: str | None = None, outcome: str | None = None
    ) -> Job | None:
        return self._update(job_id, lambda j: finished(j, state, now, error, outcome))

    def failures(self, job_id: str, *, offset: int, limit: int) -> tuple[list[DocumentFailure], int]:
        key = self._p + "failures:" + job_id
        rows = self._run(lambda: self._r.lrange(key, offset, offset + limit - 1))
        total = self._run(lambda: self._r.llen(key))
        return [failure_from_record(json.loads(r)) for r in rows], int(total)

    def ended_before(self, before: float, limit: int) -> list[str]:
        """Looks at the oldest ``_SCAN_LIMIT`` jobs created before ``before`` (a job ends after it is created)."""
        ids = _strs(self._run(lambda: self._r.zrangebyscore(self._p + "index", "-inf", f"({before}", 0, _SCAN_LIMIT)))
        out: list[str] = []
        for start in range(0, len(ids), 200):
            found = self._many(ids[start : start + 200])
            out += [j.id for j in found if j.terminal and j.finished_at is not None and j.finished_at < before]
            if len(out) >= limit:
                break
        return out[:limit]

    def delete(self, job_id: str) -> None:
        def run() -> None:
            pipe = self._r.pipeline(transaction=True)
            pipe.delete(self._key(job_id), self._p + "failures:" + job_id, self._p + "starts:" + job_id)
            pipe.zrem(self._p + "index", job_id)
            pipe.srem(self._p + "unfinished", job_id)
            pipe.execute()

        self._run(run)

    def health(self) -> HealthStatus:
        try:
            self._run(lambda: self._r.ping())
        except JobStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True)

    # --- an optimistic transaction per change ------------------------------------------------------------
    def _update(
        self, job_id: str, change: Callable[[Job], Job], also: Callable[[Any], None] | None = None
    ) -> Job | None:
        import redis

        key = self._key(job_id)

        def attempt(pipe: Any) -> Job | None:
            raw = pipe.get(key)
            if raw is None:
                return None
            job = from_record(json.loads(raw))
            after = change(job)
            if after is job:
                return job
            pipe.multi()
            pipe.set(key, json.dumps(to_record(after)))
            if after.terminal:
                pipe.srem(self._p + "unfinished", job_id)
            if also is not None:
                also(pipe)
            return after

        def run() -> Job | None:
            while True:
                try:
                    with self._r.pipeline(transaction=True) as pipe:
                        pipe.watch(key)
                        out = attempt(pipe)
                        if pipe.explicit_transaction:
                            pipe.execute()
                        return out
                except redis.WatchError:
                    continue

        job: Job | None = self._run(run)
        return job

    def _many(self, ids: list[str]) -> list[Job]:
        if not ids:
            return []
        raws = self._run(lambda: self._r.mget([self._key(i) for i in ids]))
        return [from_record(json.loads(r)) for r in raws if r]

    def _key(self, job_id: str) -> str:
        return self._p + "job:" + job_id

    def _run(self, call: Callable[[], Any]) -> Any:
        import redis

        try:
            return call()
        except (redis.RedisError, OSError) as e:
            raise JobStoreUnavailable(f"The job store (Redis) failed: {e}") from e


def _push(pipe: Any, key: str, rows: list[str]) -> None:
    if rows:
        pipe.rpush(key, *rows)


def _strs(raw: Any) -> list[str]:
    return [i.decode() if isinstance(i, bytes) else str(i) for i in raw]


def _matches(job: Job, owner: str | None, collection: str | None, state: JobState | None) -> bool:
    return (
        (owner is None or job.owner == owner)
        and (collection is None or job.collection == collection)
        and (state is None or job.state is state)
    )
