"""Ingestion jobs as seen by clients: submit, look at, list and cancel them.

The work itself is ``use_cases.job_batches.RunBatch``, run by workers."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autbot.domain import limits
from autbot.domain.access import AccessList
from autbot.domain.auth import Principal, Scope
from autbot.domain.errors import InvalidInput, JobLimitReached, JobNotFound
from autbot.domain.jobs import (
    DocumentFailure,
    Job,
    JobCounts,
    JobKind,
    JobMessage,
    JobState,
    cut_batches,
    new_job_id,
    validate_job_id,
)
from autbot.domain.model import DocumentInput, validate_metadata
from autbot.domain.quotas import ingest_cost
from autbot.ports.blob_store import BlobStore
from autbot.ports.job_queue import JobQueue
from autbot.ports.job_store import JobStore
from autbot.use_cases.admission import AdmitNow, admit_all_now
from autbot.use_cases.collection_models import CollectionModels
from autbot.use_cases.ingest_files import UploadedFile
from autbot.use_cases.job_inputs import StoredFile, file_key, put_documents, put_files


@dataclass(frozen=True, slots=True, kw_only=True)
class JobLimits:
    batch_size: int = limits.JOB_BATCH_SIZE
    batch_bytes: int = limits.JOB_BATCH_BYTES
    max_documents: int = limits.MAX_JOB_DOCUMENTS
    max_queued_jobs_per_key: int = limits.MAX_QUEUED_JOBS_PER_KEY
    max_queued_documents_per_key: int = limits.MAX_QUEUED_DOCUMENTS_PER_KEY


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitJobRequest:
    collection: str
    principal: Principal
    documents: tuple[DocumentInput, ...] = ()
    files: tuple[UploadedFile, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Added to every file's metadata (uploads only)."""
    access: AccessList | None = None
    """Every file's access list (uploads only; a JSON document carries its own ``access``)."""
    embedder: str | None = None
    """As ``IngestRequest.embedder``: the model of a collection this job creates; for an existing one, its own."""
    traceparent: str | None = None
    admit: AdmitNow = admit_all_now
    """Counts the job against the caller's ``limits.ingest`` at its cost (``domain.quotas.ingest_cost``)."""


class SubmitJob:
    """Accept documents (or uploaded files) to ingest in the background; returns the queued job.

    Rules:
    - Inputs are stored durably, cut into batches, before the job is accepted: nothing accepted is lost.
    - Each document's access list (``domain.access``; for uploads, the one ``access`` of every file) is stored
      with the inputs and applied when its batch commits, as the synchronous routes do.
    - ``embedder`` names the model of a collection the job creates (one of the models served, else 404
      ``model_not_found``); naming another model than an existing collection's is refused at submission (409
      ``embedding_model_mismatch``), never later in the worker.
    - Each document is validated when its batch runs, on its own: a bad one is reported as failed and the job
      goes on (the synchronous routes refuse the whole request instead).
    - A job costs what the synchronous routes charge for the same input (``domain.quotas.ingest_cost``: the
      characters of its documents' text and titles, or the bytes of its files), counted against ``limits.ingest``
      once it is known to be allowed (the collection visible, the input and model valid, the caps below kept),
      before anything is stored.
    - A caller may have at most ``jobs.max_queued_jobs_per_key`` unfinished jobs holding at most
      ``jobs.max_queued_documents_per_key`` documents; past either, 429 ``job_limit_reached``.
    - Batches of different jobs take turns, so a small job never waits behind a large one for more than one
      batch of each job running.
    """

    def __init__(
        self,
        *,
        store: JobStore,
        queue: JobQueue,
        blobs: BlobStore,
        models: CollectionModels | None = None,
        limits: JobLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._queue, self._blobs = store, queue, blobs
        self._models = models
        self._limits = limits or JobLimits()
        self._clock = clock

    def execute(self, request: SubmitJobRequest) -> Job:
        collection = request.principal.visible_collection(request.collection)
        total, kind = self._size(request)
        embedder = self._embedder(collection, request.embedder)
        self._check_quota(request.principal.owner, total)
        request.admit(ingest_cost(_input_size(request)))
        job_id = new_job_id()
        batches = self._store_inputs(job_id, request)
        job = Job(
            id=job_id,
            collection=collection,
            owner=request.principal.owner,
            kind=kind,
            state=JobState.QUEUED,
            counts=JobCounts(total=total),
            batches=batches,
            created_at=self._clock(),
            traceparent=request.traceparent,
            embedder=embedder,
        )
        self._store.create(job)
        self._queue.enqueue(JobMessage(job_id=job.id, batch=0, token=job.token, traceparent=job.traceparent))
        return job

    def _size(self, request: SubmitJobRequest) -> tuple[int, JobKind]:
        if bool(request.documents) == bool(request.files):
            raise InvalidInput("Send documents (JSON) or files (multipart), at least one.", field="documents")
        total = len(request.documents) or len(request.files)
        if total > self._limits.max_documents:
            raise InvalidInput(f"At most {self._limits.max_documents} documents per job.", field="documents")
        validate_metadata(dict(request.metadata))
        return total, ("documents" if request.documents else "files")

    def _embedder(self, collection: str, requested: str | None) -> str | None:
        if requested is None:
            return None
        if self._models is None:
            raise InvalidInput("This server's jobs take no 'embedder'.", field="embedder")
        return self._models.check(collection, requested)

    def _check_quota(self, owner: str, total: int) -> None:
        jobs, docs = self._store.unfinished(owner)
        if jobs + 1 > self._limits.max_queued_jobs_per_key or docs + total > self._limits.max_queued_documents_per_key:
            raise JobLimitReached(
                f"This key has {jobs} unfinished jobs holding {docs} documents; the limits are "
                f"{self._limits.max_queued_jobs_per_key} jobs and {self._limits.max_queued_documents_per_key} "
                "documents.",
                retry_after_s=5,
            )

    def _store_inputs(self, job_id: str, request: SubmitJobRequest) -> int:
        items, most = self._limits.batch_size, self._limits.batch_bytes
        if request.documents:
            docs = request.documents
            cuts = cut_batches([len(d.text) + len(d.title or "") for d in docs], items, most)
            for k, cut in enumerate(cuts):
                put_documents(self._blobs, job_id, k, docs[cut.start : cut.stop])
            return len(cuts)
        stored = []
        for i, upload in enumerate(request.files):
            self._blobs.put(file_key(job_id, i), upload.data)
            stored.append(StoredFile(key=file_key(job_id, i), filename=upload.filename, media_type=upload.media_type))
        cuts = cut_batches([len(f.data) for f in request.files], items, most)
        for k, cut in enumerate(cuts):
            put_files(self._blobs, job_id, k, stored[cut.start : cut.stop], request.metadata, request.access)
        return len(cuts)


def _input_size(request: SubmitJobRequest) -> int:
    """What the synchronous routes weigh: text and title characters of documents, else bytes of files."""
    docs = sum(len(d.text) + len(d.title or "") for d in request.documents)
    return docs + sum(len(f.data) for f in request.files)


# --- looking at jobs ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class JobRef:
    job_id: str
    principal: Principal
    failures_offset: int = 0
    failures_limit: int = limits.JOB_FAILURES_LISTED


@dataclass(frozen=True, slots=True, kw_only=True)
class JobView:
    job: Job
    failures: tuple[DocumentFailure, ...]
    failures_total: int
    now: float


def visible_job(store: JobStore, job_id: str, principal: Principal) -> Job:
    """The job, if ``principal`` submitted it or holds ``admin`` (and may use its collection); else 404."""
    job = store.get(validate_job_id(job_id))
    if job is None or not _may_see(principal, job):
        raise JobNotFound(f"Job '{job_id}' does not exist.", job_id=job_id)
    return job


def _may_see(principal: Principal, job: Job) -> bool:
    owner_or_admin = job.owner == principal.owner or Scope.ADMIN in principal.scopes
    return owner_or_admin and principal.may_use(job.collection)


class GetJob:
    """A job: its state, counts, throughput and ETA, and a page of its per-document failures.

    Only the key that submitted a job, or an ``admin`` key, sees it; to others it does not exist (404)."""

    def __init__(self, *, store: JobStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    def execute(self, request: JobRef) -> JobView:
        job = visible_job(self._store, request.job_id, request.principal)
        failures, total = self._store.failures(job.id, offset=request.failures_offset, limit=request.failures_limit)
        return JobView(job=job, failures=tuple(failures), failures_total=total, now=self._clock())


@dataclass(frozen=True, slots=True, kw_only=True)
class ListJobsRequest:
    principal: Principal
    collection: str | None = None
    state: JobState | None = None
    limit: int = limits.JOBS_LISTED


class ListJobs:
    """Jobs newest first: the caller's own, or everyone's for an ``admin`` key (within the key's collections)."""

    def __init__(self, *, store: JobStore) -> None:
        self._store = store

    def execute(self, request: ListJobsRequest) -> list[Job]:
        p = request.principal
        owner = None if Scope.ADMIN in p.scopes else p.owner
        found = self._store.find(owner=owner, collection=request.collection, state=request.state, limit=request.limit)
        return [j for j in found if _may_see(p, j)]


class CancelJob:
    """Cancel a job: a queued one ends at once; a running one stops before its next batch. Documents already
    committed stay; the rest are counted as skipped. Cancelling an ended job changes nothing."""

    def __init__(self, *, store: JobStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    def execute(self, request: JobRef) -> Job:
        job = visible_job(self._store, request.job_id, request.principal)
        return self._store.request_cancel(job.id, self._clock()) or job
