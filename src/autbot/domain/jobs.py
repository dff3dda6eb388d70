"""Ingestion jobs: their record, their states and the pure rules that move them (stdlib only).

A job ingests a list of documents (or uploaded files) into one collection, a batch at a time. Its inputs are
stored before it is accepted; a worker takes the job's one message from the queue, ingests that batch,
records the batch's outcome (once per batch, whatever the queue redelivers) and queues the next batch.

States: ``queued`` → ``running`` → ``succeeded`` | ``failed`` | ``cancelled`` (a queued job may be cancelled
directly). ``token`` names the job's one live message: a message carrying another token is stale and dropped,
so a redelivered or duplicated message never runs a batch twice nor forks the chain.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from autbot.domain.errors import InvalidInput

JobKind = Literal["documents", "files", "reindex"]
_JOB_ID_RE = re.compile(r"job_[A-Za-z0-9]{20}")


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


def parse_state(raw: str) -> JobState:
    try:
        return JobState(raw)
    except ValueError as e:
        valid = ", ".join(s.value for s in JobState)
        raise InvalidInput(f"Unknown job state '{raw}'; states are {valid}.", field="state") from e


def new_job_id() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "job_" + "".join(secrets.choice(alphabet) for _ in range(20))


def new_token() -> str:
    return secrets.token_hex(8)


def validate_job_id(raw: str) -> str:
    """A job id is ``job_`` and 20 letters or digits; anything else names no job."""
    if not isinstance(raw, str) or _JOB_ID_RE.fullmatch(raw) is None:
        raise InvalidInput("A job id is 'job_' followed by 20 letters or digits.", field="job_id")
    return raw


@dataclass(frozen=True, slots=True, kw_only=True)
class JobCounts:
    total: int = 0
    """Documents (or files) in the job."""
    done: int = 0
    """Documents dealt with: created + updated + unchanged + failed."""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    """Documents not ingested because the job was cancelled or failed first."""
    chunks: int = 0
    """Chunks of the documents created or updated."""
    bytes: int = 0
    """Bytes of input dealt with (text as UTF-8, or file sizes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentFailure:
    """One document the job could not ingest (the job went on without it)."""

    item: str
    """The document's id, else its file name, else its place (``#12``)."""
    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchResult:
    """What ingesting one batch did; recorded once per (job, batch)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    bytes: int = 0
    failures: tuple[DocumentFailure, ...] = ()

    @property
    def done(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.failures)


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    id: str
    collection: str
    owner: str
    """The name of the key that submitted it (``anonymous`` on an open server)."""
    kind: JobKind
    state: JobState
    counts: JobCounts
    batches: int
    """How many batches the inputs were cut into."""
    next_batch: int = 0
    """Batches recorded so far (batches run in order, so they are 0 .. next_batch - 1)."""
    token: str = field(default_factory=new_token)
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    """Why a job failed (code: message)."""
    cancel_requested: bool = False
    outcome: str | None = None
    """What a job that ended decided, beside its counts (a re-index: whether the new generation went live)."""
    traceparent: str | None = None
    """The W3C trace context of the request that submitted it, carried to the worker's spans."""
    embedder: str | None = None
    """The embedding model the submission named (checked against the collection then); None: the collection's."""

    @property
    def terminal(self) -> bool:
        return self.state.terminal


def started(job: Job, now: float) -> Job:
    if job.state is not JobState.QUEUED:
        return job
    return replace(job, state=JobState.RUNNING, started_at=now)


def with_batch(job: Job, batch: int, result: BatchResult) -> Job:
    """The job once ``batch``'s result is added; unchanged unless ``batch`` is the next one to record."""
    if batch != job.next_batch or job.terminal:
        return job
    c = job.counts
    counts = replace(
        c,
        done=c.done + result.done,
        created=c.created + result.created,
        updated=c.updated + result.updated,
        unchanged=c.unchanged + result.unchanged,
        failed=c.failed + len(result.failures),
        chunks=c.chunks + result.chunks,
        bytes=c.bytes + result.bytes,
    )
    return replace(job, counts=counts, next_batch=batch + 1)


def finished(job: Job, state: JobState, now: float, error: str | None = None, outcome: str | None = None) -> Job:
    """The job ended in ``state``; what was not dealt with is counted as skipped."""
    if job.terminal:
        return job
    skipped = job.counts.total - job.counts.done
    return replace(
        job,
        state=state,
        finished_at=now,
        error=error,
        outcome=outcome,
        counts=replace(job.counts, skipped=max(skipped, 0)),
        started_at=job.started_at if job.started_at is not None else now,
    )


def cancelling(job: Job, now: float) -> Job:
    """Cancel asked for: a queued job ends ``cancelled`` at once, a running one stops before its next batch."""
    if job.terminal:
        return job
    job = replace(job, cancel_requested=True)
    return finished(job, JobState.CANCELLED, now) if job.state is JobState.QUEUED else job


def throughput(job: Job, now: float) -> tuple[float, float]:
    """(documents per second, chunks per second) since the job started; zeros before it starts."""
    if job.started_at is None:
        return 0.0, 0.0
    elapsed = max((job.finished_at or now) - job.started_at, 1e-6)
    return job.counts.done / elapsed, job.counts.chunks / elapsed


def eta_s(job: Job, now: float) -> float | None:
    """Seconds left at the current pace; None before the first batch or once the job ended."""
    docs_per_s, _ = throughput(job, now)
    if job.terminal or docs_per_s <= 0:
        return None
    return (job.counts.total - job.counts.done) / docs_per_s


def batch_count(total: int, batch_size: int) -> int:
    return max(1, -(-total // batch_size))


def cut_batches(sizes: Sequence[int], max_items: int, max_bytes: int) -> list[range]:
    """Consecutive batches of the inputs whose sizes are ``sizes``: each holds at most ``max_items`` inputs and
    at most ``max_bytes`` of them, except that an input larger than ``max_bytes`` is a batch of its own. No
    inputs: one empty batch (a job always has a batch to run)."""
    batches: list[range] = []
    start, held = 0, 0
    for i, size in enumerate(sizes):
        if i > start and (i - start >= max_items or held + size > max_bytes):
            batches.append(range(start, i))
            start, held = i, 0
        held += size
    batches.append(range(start, len(sizes)))
    return batches


def to_record(job: Job) -> dict[str, Any]:
    """A JSON-ready dict (for the stores)."""
    out = asdict(job)
    out["state"] = job.state.value
    return out


def from_record(raw: dict[str, Any]) -> Job:
    data = dict(raw)
    data["state"] = JobState(data["state"])
    data["counts"] = JobCounts(**data["counts"])
    return Job(**data)


def failure_record(f: DocumentFailure) -> dict[str, str]:
    return {"item": f.item, "code": f.code, "message": f.message}


def failure_from_record(raw: dict[str, Any]) -> DocumentFailure:
    return DocumentFailure(item=str(raw["item"]), code=str(raw["code"]), message=str(raw["message"]))


@dataclass(frozen=True, slots=True, kw_only=True)
class JobMessage:
    """What the queue carries: which batch of which job, and the job's live token."""

    job_id: str
    batch: int
    token: str
    traceparent: str | None = None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, raw: dict[str, Any]) -> JobMessage:
        return cls(
            job_id=str(raw["job_id"]),
            batch=int(raw["batch"]),
            token=str(raw["token"]),
            traceparent=raw.get("traceparent"),
        )
