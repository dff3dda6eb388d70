"""Wiring of the fakes for unit tests: every use case over in-memory adapters."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
from autbot.adapters.embedders.catalogue import StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.adapters.registry.memory import InMemoryDocumentRegistry
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain.auth import ANONYMOUS
from autbot.domain.jobs import (
    BatchResult,
    DocumentFailure,
    Job,
    JobMessage,
    JobState,
    cancelling,
    finished,
    started,
    with_batch,
)
from autbot.domain.model import DocumentInput, HealthStatus, SearchMode
from autbot.domain.retrieval import RetrievalOptions
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import Embedder
from autbot.ports.job_queue import Delivery
from autbot.use_cases.answer import AnswerLimits, AnswerQuestion, AnswerRequest, StreamAnswer
from autbot.use_cases.ingest import IngestDocuments, IngestLimits, IngestRequest
from autbot.use_cases.search import SearchChunks


class World:
    def __init__(
        self,
        *,
        llm: ScriptedLanguageModel | None = None,
        chunk_size: int = 64,
        limits: AnswerLimits | None = None,
        chunks: ChunkIndex | None = None,
        registry: DocumentRegistry | None = None,
    ) -> None:
        self.embedder = HashingEmbedder(dimension=128)
        self.chunks = chunks or InMemoryChunkIndex()
        self.registry = registry or InMemoryDocumentRegistry()
        self.locks = InProcessDocumentLocks()
        self.splitter = LlamaIndexTextSplitter(chunk_size=chunk_size, chunk_overlap=8)
        self.llm = llm or ScriptedLanguageModel()
        self.ingest = self.ingester()
        self.search = self.searcher()
        limits = limits or AnswerLimits(min_vector_score=0.0)
        self.answer = AnswerQuestion(search=self.search, llm=self.llm, limits=limits)
        self.stream = StreamAnswer(search=self.search, llm=self.llm, limits=limits)

    def ingester(self, *, embedder: Embedder | None = None, limits: IngestLimits | None = None) -> IngestDocuments:
        return IngestDocuments(
            embedders=StaticEmbedderCatalogue.single(embedder or self.embedder),
            chunks=self.chunks,
            registry=self.registry,
            splitter=self.splitter,
            locks=self.locks,
            limits=limits,
        )

    def searcher(self, *, embedder: Embedder | None = None) -> SearchChunks:
        return SearchChunks(
            embedders=StaticEmbedderCatalogue.single(embedder or self.embedder),
            chunks=self.chunks,
            registry=self.registry,
        )

    def add(self, collection: str, *docs: DocumentInput) -> None:
        self.ingest.execute(IngestRequest(principal=ANONYMOUS, collection=collection, documents=docs))


def ask(
    collection: str, question: str, *, max_tokens: int | None = None, temperature: float | None = None, **options: Any
) -> AnswerRequest:
    """An AnswerRequest for ``question`` over ``collection``, as the operator (every collection); ``options`` sets
    RetrievalOptions fields (the mode is vector unless given)."""
    return AnswerRequest(
        principal=ANONYMOUS,
        collection=collection,
        question=question,
        retrieval=RetrievalOptions(**{"mode": SearchMode.VECTOR, **options}),
        max_tokens=max_tokens,
        temperature=temperature,
    )


class ListStore:
    """A store whose layout is the list of steps applied to it, with the version recorded beside it."""

    def __init__(self, store: str, steps: Sequence[str], version: int = 0) -> None:
        self.store = store
        self.steps = list(steps)
        self.recorded = version
        self.applied: list[int] = []

    def version(self) -> int:
        return self.recorded

    def apply(self, step: int) -> bool:
        if self.recorded != step:
            return False
        self.applied.append(step)
        self.recorded = step + 1
        return True


# --- jobs: in-memory fakes of JobQueue, JobStore and BlobStore (they pass the contract suites) -------------
class InMemoryJobQueue:
    """FIFO with in-flight messages: unacked ones come back with ``crash()`` (what a dead worker's restart does)."""

    def __init__(self) -> None:
        self._ready: deque[JobMessage] = deque()
        self._inflight: dict[int, JobMessage] = {}
        self._ids = itertools.count()
        self._cond = threading.Condition()

    def enqueue(self, message: JobMessage) -> None:
        with self._cond:
            self._ready.append(message)
            self._cond.notify()

    def receive(self, timeout_s: float) -> Delivery | None:
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._ready), timeout=timeout_s):
                return None
            message = self._ready.popleft()
            receipt = next(self._ids)
            self._inflight[receipt] = message
            return Delivery(message=message, receipt=receipt)

    def ack(self, delivery: Delivery) -> None:
        with self._cond:
            self._inflight.pop(int(str(delivery.receipt)), None)

    def release(self, delivery: Delivery) -> None:
        with self._cond:
            message = self._inflight.pop(int(str(delivery.receipt)), None)
            if message is not None:
                self._ready.appendleft(message)
                self._cond.notify()

    def crash(self) -> None:
        """Every unacknowledged message is ready again (as after a worker's death)."""
        with self._cond:
            self._ready.extendleft(reversed(list(self._inflight.values())))
            self._inflight.clear()
            self._cond.notify_all()

    def depth(self) -> int:
        with self._cond:
            return len(self._ready)

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True)


class InMemoryJobStore:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._starts: dict[tuple[str, int], int] = {}
        self._failures: dict[str, list[DocumentFailure]] = {}
        self._lock = threading.Lock()

    def create(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            self._failures[job.id] = []

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def find(self, *, owner: str | None, collection: str | None, state: JobState | None, limit: int) -> list[Job]:
        found = [
            j
            for j in self._jobs.values()
            if (owner is None or j.owner == owner)
            and (collection is None or j.collection == collection)
            and (state is None or j.state is state)
        ]
        return sorted(found, key=lambda j: j.created_at, reverse=True)[:limit]

    def unfinished(self, owner: str | None) -> tuple[int, int]:
        jobs = [j for j in self._jobs.values() if not j.terminal and (owner is None or j.owner == owner)]
        return len(jobs), sum(j.counts.total for j in jobs)

    def begin_batch(self, job_id: str, batch: int, now: float) -> int:
        with self._lock:
            self._jobs[job_id] = started(self._jobs[job_id], now)
            before = self._starts.get((job_id, batch), 0)
            self._starts[(job_id, batch)] = before + 1
            return before

    def record_batch(self, job_id: str, batch: int, result: BatchResult) -> Job:
        with self._lock:
            job = self._jobs[job_id]
            after = with_batch(job, batch, result)
            if after is not job:
                self._jobs[job_id] = after
                self._failures[job_id].extend(result.failures)
            return after

    def swap_token(self, job_id: str, old: str, new: str) -> bool:
        with self._lock:
            job = self._jobs[job_id]
            if job.token != old:
                return False
            self._jobs[job_id] = replace(job, token=new)
            return True

    def request_cancel(self, job_id: str, now: float) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.terminal:
                return job
            job = self._jobs[job_id] = cancelling(job, now)
            return job

    def finish(
        self, job_id: str, state: JobState, now: float, error: str | None = None, outcome: str | None = None
    ) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job = self._jobs[job_id] = finished(job, state, now, error, outcome)
            return job

    def failures(self, job_id: str, *, offset: int, limit: int) -> tuple[list[DocumentFailure], int]:
        items = self._failures.get(job_id, [])
        return items[offset : offset + limit], len(items)

    def ended_before(self, before: float, limit: int) -> list[str]:
        ended = [j for j in self._jobs.values() if j.terminal and (j.finished_at or 0.0) < before]
        return [j.id for j in sorted(ended, key=lambda j: j.created_at)[:limit]]

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)
            self._failures.pop(job_id, None)
            for key in [k for k in self._starts if k[0] == job_id]:
                del self._starts[key]

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True)


class InMemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self._blobs[key] = bytes(data)

    def get(self, key: str) -> bytes | None:
        return self._blobs.get(key)

    def delete_job(self, job_id: str) -> None:
        for key in [k for k in self._blobs if k.startswith(job_id + "/")]:
            del self._blobs[key]

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True)
