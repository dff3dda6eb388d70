"""The work of a job: one batch per queue message, recorded once, then the next batch queued."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from autbot.domain import limits
from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import AutbotError, ConfigurationError, DependencyUnavailable, Overloaded
from autbot.domain.jobs import BatchResult, DocumentFailure, Job, JobMessage, JobState, new_token
from autbot.domain.model import DocumentInput, IngestOutcome
from autbot.ports.blob_store import BlobStore
from autbot.ports.document_reader import DocumentReader
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.job_queue import JobQueue
from autbot.ports.job_store import JobStore
from autbot.use_cases.ingest import Ingestion, IngestRequest
from autbot.use_cases.job_inputs import BatchInput, StoredFile, input_bytes, read_batch

TRANSIENT = (DependencyUnavailable, Overloaded)
"""Errors worth another try of the whole batch (a store or the embedder down, a breaker open, a full queue)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    attempts: int = limits.JOB_ATTEMPTS
    base_s: float = limits.JOB_RETRY_BASE_S
    max_s: float = limits.JOB_RETRY_MAX_S

    def wait_s(self, attempt: int) -> float:
        return float(min(self.base_s * 2 ** (attempt - 1), self.max_s))


class ReindexWork(Protocol):
    """The batches of a job of kind ``reindex`` (``use_cases.reindex_build.BuildGeneration``)."""

    def run(self, job: Job, batch: int) -> BatchResult: ...

    def outcome(self, job: Job, state: JobState) -> str | None:
        """The job ended in ``state``: what it decided (its generation marked failed unless it succeeded)."""
        ...


class RunBatch:
    """Run the batch a queue message names, at least once delivered, exactly once in effect.

    Rules:
    - A message whose token is not the job's live one (a duplicate, or one a redelivery replaced) is dropped;
      so is one of an ended job. A job asked to cancel ends ``cancelled`` here, before its next batch.
    - Each document is validated (a file read) on its own: a bad one is a recorded failure, the batch goes on.
    - A batch whose dependencies fail (or that fails unexpectedly) is tried again with exponential backoff; after
      ``jobs.attempts`` tries the job ends ``failed`` with the reason. A collection of another embedding model
      fails the job at once.
    - A batch's result is recorded once: a redelivered batch that was recorded is not run again. A batch cut
      short by a dead worker runs again; documents its first run committed are then counted as created or
      updated (as that run would have), not as unchanged, so counts are exact.
    - Then the next batch is queued with a new token (swapped in after it is queued), or the job ends
      ``succeeded``; the job's inputs are deleted when it ends.
    - A job of kind ``reindex`` runs its batches through ``reindex`` (``BuildGeneration``), which also says what
      it decided when it ends.
    """

    def __init__(
        self,
        *,
        store: JobStore,
        queue: JobQueue,
        blobs: BlobStore,
        ingest: Ingestion,
        reader: DocumentReader,
        registry: DocumentRegistry,
        retry: RetryPolicy | None = None,
        reindex: ReindexWork | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store, self._queue, self._blobs = store, queue, blobs
        self._ingest, self._reader, self._registry = ingest, reader, registry
        self._retry = retry or RetryPolicy()
        self._reindex = reindex
        self._clock, self._sleep = clock, sleep

    def execute(self, message: JobMessage) -> Job | None:
        job = self._store.get(message.job_id)
        if job is None or job.terminal or job.token != message.token:
            return job
        if job.cancel_requested:
            return self._end(job.id, JobState.CANCELLED)
        if message.batch == job.next_batch < job.batches:
            redo = self._store.begin_batch(job.id, message.batch, self._clock()) > 0
            result = self._attempts(job, message.batch, redo)
            if isinstance(result, str):
                return self._end(job.id, JobState.FAILED, result)
            job = self._store.record_batch(job.id, message.batch, result)
        return self._next(job, message)

    def _next(self, job: Job, message: JobMessage) -> Job | None:
        if job.next_batch >= job.batches:
            return self._end(job.id, JobState.SUCCEEDED)
        token = new_token()
        self._queue.enqueue(JobMessage(job_id=job.id, batch=job.next_batch, token=token, traceparent=job.traceparent))
        self._store.swap_token(job.id, message.token, token)
        return self._store.get(job.id)

    def _end(self, job_id: str, state: JobState, error: str | None = None) -> Job | None:
        outcome = None
        before = self._store.get(job_id)
        if before is not None and before.kind == "reindex" and self._reindex is not None:
            outcome = self._reindex.outcome(before, state)
        job = self._store.finish(job_id, state, self._clock(), error, outcome)
        self._blobs.delete_job(job_id)
        return job

    def _attempts(self, job: Job, batch: int, redo: bool) -> BatchResult | str:
        for attempt in range(1, self._retry.attempts + 1):
            try:
                return self._run(job, batch, redo or attempt > 1)
            except TRANSIENT as e:
                if attempt == self._retry.attempts:
                    return f"{e.code}: {e.message} (after {attempt} tries of batch {batch})"
                self._sleep(self._retry.wait_s(attempt))
            except AutbotError as e:  # the batch as a whole is refused (another embedding model): no retry
                return f"{e.code}: {e.message}"
            except Exception as e:  # not ours (a bug, a library's surprise): tried again, then the job fails
                if attempt == self._retry.attempts:
                    return f"internal_error: {type(e).__name__} (after {attempt} tries of batch {batch})"
                self._sleep(self._retry.wait_s(attempt))
        return "no tries"  # pragma: no cover - attempts >= 1

    def _run(self, job: Job, batch: int, redo: bool) -> BatchResult:
        if job.kind == "reindex":
            if self._reindex is None:
                raise ConfigurationError("This worker was built without the re-index work.")
            return self._reindex.run(job, batch)
        inputs = read_batch(self._blobs, job.id, batch)
        docs, failures, size = self._documents(inputs)
        screened = self._ingest.screen(tuple(d for _, d in docs))
        good: list[DocumentInput] = []
        for (label, _), checked in zip(docs, screened, strict=True):
            if isinstance(checked, AutbotError):
                failures.append(DocumentFailure(item=label, code=checked.code, message=checked.message))
            else:
                good.append(checked)
        # the collection was the submitter's to use when the job was accepted (SubmitJob): the batch runs as the server
        request = IngestRequest(
            principal=ANONYMOUS, collection=job.collection, documents=tuple(good), embedder=job.embedder
        )
        outcomes = self._ingest.execute(request) if good else []
        if redo:
            outcomes = self._as_first_written(job, outcomes)
        return _result(outcomes, failures, size)

    def _documents(self, inputs: BatchInput) -> tuple[list[tuple[str, DocumentInput]], list[DocumentFailure], int]:
        if not inputs.files:
            labelled = [(d.id or d.source or f"#{i}", d) for i, d in enumerate(inputs.documents)]
            return labelled, [], sum(input_bytes(d) for d in inputs.documents)
        docs: list[tuple[str, DocumentInput]] = []
        failures: list[DocumentFailure] = []
        size = 0
        for i, f in enumerate(inputs.files):
            label = f.filename or f"#{i}"
            data = self._blobs.get(f.key) or b""
            size += len(data)
            try:
                docs.append((label, self._read(data, f, inputs)))
            except TRANSIENT:
                raise
            except AutbotError as e:
                failures.append(DocumentFailure(item=label, code=e.code, message=e.message))
        return docs, failures, size

    def _read(self, data: bytes, f: StoredFile, inputs: BatchInput) -> DocumentInput:
        read = self._reader.read(data, media_type=f.media_type, filename=f.filename)
        return DocumentInput(
            text=read.text,
            title=read.title,
            source=f.filename,
            metadata={**read.metadata, **inputs.metadata},
            access=inputs.access,
        )

    def _as_first_written(self, job: Job, outcomes: list[IngestOutcome]) -> list[IngestOutcome]:
        """On a batch run again, a document reported unchanged that this job wrote was committed by the run
        cut short: count it as that run did."""
        ids = [o.document_id for o in outcomes if o.status == "unchanged"]
        if not ids:
            return outcomes
        records = self._registry.get_documents(job.collection, ids)
        out = []
        for o in outcomes:
            rec = records.get(o.document_id)
            if o.status == "unchanged" and rec is not None and rec.updated_at >= job.created_at:
                o = IngestOutcome(
                    document_id=o.document_id,
                    status="updated" if rec.previous_version else "created",
                    chunks=o.chunks,
                )
            out.append(o)
        return out


def _result(outcomes: list[IngestOutcome], failures: list[DocumentFailure], size: int) -> BatchResult:
    by = {s: sum(1 for o in outcomes if o.status == s) for s in ("created", "updated", "unchanged")}
    chunks = sum(o.chunks for o in outcomes if o.status != "unchanged")
    return BatchResult(
        created=by["created"],
        updated=by["updated"],
        unchanged=by["unchanged"],
        chunks=chunks,
        bytes=size,
        failures=tuple(failures),
    )
