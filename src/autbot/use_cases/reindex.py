"""Re-index a collection: a job that builds a new generation of its index (another embedding model) from the
documents' kept source text while the live generation serves reads and writes, then lets the quality gate (or
an operator) switch to it. The build itself is ``use_cases.reindex_build.BuildGeneration``, run by workers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from autbot.domain import limits
from autbot.domain.auth import Principal
from autbot.domain.errors import CollectionNotFound, InvalidInput, ReindexInProgress
from autbot.domain.generations import Generation, GenerationState
from autbot.domain.jobs import Job, JobCounts, JobMessage, JobState, batch_count, new_job_id
from autbot.ports.blob_store import BlobStore
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import EmbedderCatalogue
from autbot.ports.generation_store import GenerationStore
from autbot.ports.job_queue import JobQueue
from autbot.ports.job_store import JobStore
from autbot.use_cases.collection_models import requested_embedder
from autbot.use_cases.generations import current_generations

Activation = Literal["auto", "manual"]
_PAGE = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class ReindexSettings:
    batch_size: int = limits.REINDEX_BATCH_SIZE
    max_drop: float = limits.REINDEX_MAX_DROP
    retention_s: float = limits.GENERATION_RETENTION_S


@dataclass(frozen=True, slots=True, kw_only=True)
class ReindexRequest:
    principal: Principal
    collection: str
    embedder: str
    """The new generation's embedding model (a catalogue name or model id served here)."""
    max_drop: float | None = None
    """How much lower the new generation's NDCG@10 may be than the live one's; None: ``jobs.reindex_max_drop``."""
    activate: Activation = "auto"
    """``auto``: the gate switches when the new generation passes; ``manual``: it is measured and held."""
    chunk_size: int | None = None
    """The new generation's chunk size in tokens; None: the server's ``splitter`` settings."""
    chunk_overlap: int | None = None
    """Tokens shared by neighbouring chunks (with ``chunk_size``; default an eighth of it)."""
    traceparent: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReindexPlan:
    """What a re-index job builds and how it decides (kept with the job's inputs)."""

    number: int
    max_drop: float
    activate: Activation


def plan_key(job_id: str) -> str:
    return f"{job_id}/reindex.json"


def ids_key(job_id: str, batch: int) -> str:
    return f"{job_id}/ids-{batch}.json"


def read_plan(blobs: BlobStore, job_id: str) -> ReindexPlan:
    raw = json.loads(blobs.get(plan_key(job_id)) or b"{}")
    return ReindexPlan(number=int(raw["number"]), max_drop=float(raw["max_drop"]), activate=raw["activate"])


def _chunking(request: ReindexRequest) -> tuple[int | None, int | None]:
    size, overlap = request.chunk_size, request.chunk_overlap
    if size is None:
        if overlap is not None:
            raise InvalidInput("chunk_overlap needs a chunk_size.", field="chunk_overlap")
        return None, None
    if not limits.MIN_CHUNK_TOKENS <= size <= limits.MAX_CHUNK_TOKENS:
        raise InvalidInput(
            f"chunk_size is {limits.MIN_CHUNK_TOKENS} to {limits.MAX_CHUNK_TOKENS} tokens.", field="chunk_size"
        )
    overlap = size // 8 if overlap is None else overlap
    if not 0 <= overlap < size:
        raise InvalidInput("chunk_overlap is 0 or more and smaller than chunk_size.", field="chunk_overlap")
    return size, overlap


class SubmitReindex:
    """Start building a new generation of a collection's index with another embedding model; returns the job.

    Rules:
    - The model must be one served here (404 ``model_not_found``); ``max_drop`` is 0 to 1; a chunking of its
      own (``chunk_size`` ``limits.MIN_CHUNK_TOKENS`` to ``limits.MAX_CHUNK_TOKENS``, ``chunk_overlap`` smaller)
      is optional: without one the server's splitter settings apply.
    - One re-index at a time per collection (409 ``reindex_in_progress``); a building generation whose job ended
      without finishing it (cancelled before it ran) is marked failed first.
    - The new generation's record is written before the documents are listed: every write from then on reaches
      it, and the build covers every document recorded before.
    - The job builds the documents in batches, then measures both generations on the golden set and switches
      when the gate passes (``domain.generations.gate``); see ``BuildGeneration``.
    """

    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        generations: GenerationStore,
        embedders: EmbedderCatalogue,
        chunks: ChunkIndex,
        store: JobStore,
        queue: JobQueue,
        blobs: BlobStore,
        settings: ReindexSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._registry, self._generations, self._embedders, self._chunks = registry, generations, embedders, chunks
        self._store, self._queue, self._blobs = store, queue, blobs
        self._settings = settings or ReindexSettings()
        self._clock = clock

    def execute(self, request: ReindexRequest) -> Job:
        collection = request.principal.visible_collection(request.collection)
        info = self._registry.get_collection(collection)
        if info is None:
            raise CollectionNotFound(f"Collection '{collection}' does not exist.", collection=collection)
        embedder = requested_embedder(self._embedders, request.embedder)
        max_drop = self._settings.max_drop if request.max_drop is None else request.max_drop
        if not 0.0 <= max_drop <= 1.0:
            raise InvalidInput("max_drop is an NDCG@10 difference, 0 to 1.", field="max_drop")
        chunking = _chunking(request)
        now = self._clock()
        existing = self._settled(current_generations(self._generations, info, now), now)
        job_id = new_job_id()
        number = max(g.number for g in existing) + 1
        generation = Generation(
            collection=collection,
            number=number,
            embedding_model=embedder.model_id,
            dimension=embedder.dimension,
            chunk_size=chunking[0],
            chunk_overlap=chunking[1],
            state=GenerationState.BUILDING,
            created_at=now,
            job_id=job_id,
        )
        self._chunks.ensure(generation.index_name)
        self._generations.put_generation(generation)  # from here on, every write reaches it
        batches = self._store_inputs(
            job_id, collection, ReindexPlan(number=number, max_drop=max_drop, activate=request.activate)
        )
        job = Job(
            id=job_id,
            collection=collection,
            owner=request.principal.owner,
            kind="reindex",
            state=JobState.QUEUED,
            counts=JobCounts(total=batches[1]),
            batches=batches[0] + 1,  # the last batch measures and decides
            created_at=now,
            traceparent=request.traceparent,
        )
        self._store.create(job)
        self._queue.enqueue(JobMessage(job_id=job.id, batch=0, token=job.token, traceparent=job.traceparent))
        return job

    def _settled(self, generations: list[Generation], now: float) -> list[Generation]:
        out = []
        for g in generations:
            if g.state is GenerationState.BUILDING:
                job = self._store.get(g.job_id) if g.job_id else None
                if job is not None and not job.terminal:
                    raise ReindexInProgress(
                        f"Collection '{g.collection}' is being re-indexed by job {job.id}.", job_id=job.id
                    )
                g = replace(
                    g, state=GenerationState.FAILED, reason="the job ended before the build did", retained_until=now
                )
                self._generations.put_generation(g)
            out.append(g)
        return out

    def _store_inputs(self, job_id: str, collection: str, plan: ReindexPlan) -> tuple[int, int]:
        """The ids of every recorded document, in batches; returns (batches, documents)."""
        ids: list[str] = []
        while True:
            page, total = self._registry.list_documents(collection, offset=len(ids), limit=_PAGE)
            ids += [d.id for d in page]
            if not page or len(ids) >= total:
                break
        size = self._settings.batch_size
        batches = batch_count(len(ids), size) if ids else 0
        for k in range(batches):
            self._blobs.put(ids_key(job_id, k), json.dumps(ids[k * size : (k + 1) * size]).encode())
        plan_json = {"number": plan.number, "max_drop": plan.max_drop, "activate": plan.activate}
        self._blobs.put(plan_key(job_id), json.dumps(plan_json).encode())
        return batches, len(ids)
