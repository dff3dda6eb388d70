"""Ingestion jobs wired from settings: the queue, the job and input stores, the use cases, and the worker
threads that run batches (in the server, or in ``autbot worker``).

Each worker thread lowers its own CPU priority (``jobs.nice``: Linux lets a thread renice itself) so that the
threads answering requests win the cores when both want them. A worker takes one message at a time and
acknowledges it only after the batch is recorded; stopping lets the batch in hand finish (within the bound
given to ``stop``), and a batch cut short is delivered again after a restart.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from autbot.domain.jobs import UNFINISHED, JobMessage, new_token
from autbot.domain.limits import GENERATION_SWEEP_EVERY_S
from autbot.entrypoints.bootstrap.factories.embedders import worker_catalogue
from autbot.entrypoints.bootstrap.factories.ingestion import splitter_factory
from autbot.entrypoints.bootstrap.factories.limits import ingest_limits
from autbot.entrypoints.bootstrap.job_metrics import MeteredJobStore, watch_queue
from autbot.entrypoints.bootstrap.memory import releasing_memory
from autbot.entrypoints.bootstrap.reindex import build_generation, reindex_use_cases, sweep_generations
from autbot.entrypoints.settings import Settings
from autbot.ports.blob_store import BlobStore
from autbot.ports.job_queue import JobQueue
from autbot.ports.job_store import JobStore
from autbot.use_cases.collection_models import CollectionModels
from autbot.use_cases.job_batches import RetryPolicy, RunBatch
from autbot.use_cases.jobs import CancelJob, GetJob, JobLimits, ListJobs, SubmitJob

JOB_USE_CASES = ("submit_job", "get_job", "list_jobs", "cancel_job")
"""The providers the HTTP entrypoint hands to the jobs routes."""
_POLL_S = 0.5
_AFTER_ERROR_S = 1.0


@dataclass(slots=True)
class JobSystem:
    queue: JobQueue
    store: JobStore
    blobs: BlobStore
    submit_job: SubmitJob
    get_job: GetJob
    list_jobs: ListJobs
    cancel_job: CancelJob
    run_batch: RunBatch
    reindex: dict[str, object] = field(default_factory=dict)
    """The re-index use cases (``bootstrap.reindex``), which start jobs of kind ``reindex``."""
    sweep: Any = None
    """Drops generations past their retention (``SweepGenerations``); idle workers run it now and then."""
    tracer: Any = None
    """Spans of the worker's batches, children of the submitting request's span (its ``traceparent``)."""
    closers: list[Any] = field(default_factory=list)

    def use_cases(self) -> dict[str, object]:
        return {**{name: getattr(self, name) for name in JOB_USE_CASES}, **self.reindex}

    def close(self) -> None:
        for close in self.closers:
            with contextlib.suppress(Exception):
                close()


def embedded_parts(settings: Settings) -> tuple[JobQueue, JobStore, BlobStore, list[Any]]:
    """Files under ``storage.data_dir/jobs``; in memory (inputs in a temporary directory) when the index is in
    memory too: jobs that outlived their index would name documents that are gone."""
    from autbot.adapters.jobs.embedded.blobs import FileBlobStore
    from autbot.adapters.jobs.embedded.queue import SqliteJobQueue
    from autbot.adapters.jobs.embedded.store import SqliteJobStore

    if settings.index.backend == "memory":
        scratch = tempfile.TemporaryDirectory(prefix="autbot-jobs-")
        queue, store = SqliteJobQueue(None), SqliteJobStore(":memory:")
        return queue, store, FileBlobStore(scratch.name), [queue.close, store.close, scratch.cleanup]
    root = Path(settings.storage.data_dir) / "jobs"
    queue, store = SqliteJobQueue(root / "queue"), SqliteJobStore(root / "jobs.sqlite3")
    return queue, store, FileBlobStore(root / "inputs"), [queue.close, store.close]


def build_jobs(settings: Settings, container: Any, parts: tuple[JobQueue, JobStore, BlobStore, list[Any]]) -> JobSystem:
    """The jobs' use cases over ``parts`` (queue, store, blobs, closers) and the container's ingestion."""
    queue, store, blobs, closers = parts
    metrics = container.telemetry().metrics
    store = MeteredJobStore(store, metrics)
    watch_queue(metrics, queue)
    j = settings.jobs
    limits = JobLimits(
        batch_size=j.batch_size,
        batch_bytes=j.batch_bytes,
        max_documents=j.max_documents,
        max_queued_jobs_per_key=j.max_queued_jobs_per_key,
        max_queued_documents_per_key=j.max_queued_documents_per_key,
    )
    catalogue = job_catalogue(settings, container)
    run = RunBatch(
        store=store,
        queue=queue,
        blobs=blobs,
        ingest=job_ingest(settings, container, catalogue),
        reader=container.reader(),
        registry=container.registry(),
        retry=RetryPolicy(attempts=j.attempts, base_s=j.retry_base_s),
        reindex=build_generation(settings, container, blobs, catalogue),
    )
    return JobSystem(
        queue=queue,
        store=store,
        blobs=blobs,
        submit_job=SubmitJob(store=store, queue=queue, blobs=blobs, models=_models(container), limits=limits),
        get_job=GetJob(store=store),
        list_jobs=ListJobs(store=store),
        cancel_job=CancelJob(store=store),
        run_batch=run,
        reindex=reindex_use_cases(settings, container, store, queue, blobs),
        sweep=sweep_generations(container, store),
        tracer=container.telemetry().tracer,
        closers=closers,
    )


def _models(container: Any) -> CollectionModels:
    return CollectionModels(embedders=container.embedders(), registry=container.registry())


def job_catalogue(settings: Settings, container: Any) -> Any:
    """The workers' embedders: with the ONNX embedder and ``jobs.embedder_threads`` > 0, embedding sessions of
    their own with that many threads (one: the work runs in the calling worker thread, at its lower priority,
    instead of the server's thread pool); else the server's. Ingestion and re-index batches share them."""
    threads = settings.jobs.embedder_threads
    if settings.embedder.backend != "onnx" or threads == 0:
        return container.embedders()
    return worker_catalogue(settings, threads)


def job_ingest(settings: Settings, container: Any, catalogue: Any) -> Any:
    """The workers' ingestion over ``catalogue`` (``job_catalogue``); the server's ``IngestDocuments`` when that is
    the server's own catalogue."""
    if catalogue is container.embedders():
        return container.ingest_documents()
    from autbot.use_cases.ingest import IngestDocuments

    return releasing_memory(
        IngestDocuments(
            embedders=catalogue,
            chunks=container.chunk_index(),
            registry=container.registry(),
            splitter=container.splitter(),
            locks=container.document_locks(),
            limits=ingest_limits(settings),
            generations=container.generation_store(),
            splitters=splitter_factory(settings),
        ),
        enabled=settings.server.malloc_trim,
    )


def requeue_unfinished(jobs: JobSystem) -> int:
    """Give every unfinished job a fresh message (the old one, if any, goes stale and is dropped): a job accepted
    just before a crash, whose first message never reached the queue, is not left waiting. For one host only:
    run it where no other worker is running."""
    count = 0
    for state in UNFINISHED:
        for job in jobs.store.find(owner=None, collection=None, state=state, limit=1_000_000):
            token = new_token()
            jobs.queue.enqueue(
                JobMessage(job_id=job.id, batch=job.next_batch, token=token, traceparent=job.traceparent)
            )
            count += jobs.store.swap_token(job.id, job.token, token)
    return count


class JobWorkers:
    """``threads`` workers taking one message at a time from the queue and running its batch."""

    def __init__(self, jobs: JobSystem, *, threads: int, nice: int) -> None:
        self._jobs = jobs
        self._threads = threads
        self._nice = nice
        self._stopping = threading.Event()
        self._sweeping = threading.Lock()
        self._next_sweep = 0.0
        self._running: list[threading.Thread] = []

    def start(self) -> None:
        for i in range(self._threads):
            t = threading.Thread(target=self._loop, name=f"autbot-job-worker-{i}", daemon=True)
            t.start()
            self._running.append(t)

    def stop(self, timeout_s: float) -> bool:
        """Stop taking messages and wait for batches in hand; False if one is still running after the bound
        (its message stays unacknowledged and is delivered again after a restart)."""
        self._stopping.set()
        for t in self._running:
            t.join(timeout_s)
        return not any(t.is_alive() for t in self._running)

    def _loop(self) -> None:
        _lower_priority(self._nice)
        while not self._stopping.is_set():
            try:
                delivery = self._jobs.queue.receive(_POLL_S)
            except Exception:  # the queue is down: try again shortly
                logger.exception("Job queue failed; retrying in {} s", _AFTER_ERROR_S)
                self._stopping.wait(_AFTER_ERROR_S)
                continue
            if delivery is None:
                self._sweep_now_and_then()
                continue
            if self._stopping.is_set():
                self._jobs.queue.release(delivery)
                return
            try:
                with _batch_span(self._jobs.tracer, delivery.message):
                    self._jobs.run_batch.execute(delivery.message)
            except Exception:
                logger.exception(
                    "Job {} batch {} failed; it will be retried", delivery.message.job_id, delivery.message.batch
                )
                with contextlib.suppress(Exception):
                    self._jobs.queue.release(delivery)
                self._stopping.wait(_AFTER_ERROR_S)
                continue
            self._jobs.queue.ack(delivery)

    def _sweep_now_and_then(self) -> None:
        """At most every ``limits.GENERATION_SWEEP_EVERY_S``, one idle worker drops expired generations."""
        if self._jobs.sweep is None or time.monotonic() < self._next_sweep or not self._sweeping.acquire(False):
            return
        try:
            self._next_sweep = time.monotonic() + GENERATION_SWEEP_EVERY_S
            swept = self._jobs.sweep.execute()
            if swept.generations:
                logger.info("Dropped {} index generations past their retention", swept.generations)
        except Exception:
            logger.exception("Sweeping index generations failed; trying again later")
        finally:
            self._sweeping.release()


@contextlib.contextmanager
def _batch_span(tracer: Any, message: JobMessage) -> Iterator[None]:
    """A consumer span for the batch in the trace of the request that submitted its job."""
    if tracer is None:
        yield
        return
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    parent = extract({"traceparent": message.traceparent}) if message.traceparent else None
    attributes = {"autbot.job_id": message.job_id, "autbot.job_batch": message.batch}
    with tracer.start_as_current_span("job batch", context=parent, kind=SpanKind.CONSUMER, attributes=attributes):
        yield


def _lower_priority(nice: int) -> None:
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
