"""The work of a re-index job: build the new generation a batch of documents at a time, then measure and decide.

Batches ``0 .. n-1`` each build the documents whose ids the job listed; the last batch first builds the documents
recorded since (the listing and the writes that raced it), then runs the quality gate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from autbot.domain import limits
from autbot.domain.chunking import embedding_text
from autbot.domain.errors import SourceTextMissing
from autbot.domain.generations import Generation, GenerationState, gate
from autbot.domain.golden_sets import Evaluation, GenerationFigures, GoldenSet
from autbot.domain.jobs import BatchResult, DocumentFailure, Job, JobState
from autbot.domain.model import Chunk, CollectionInfo, Document, SearchMode
from autbot.domain.retrieval import RetrievalOptions
from autbot.ports.blob_store import BlobStore
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_locks import DocumentLocks
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import EmbedderCatalogue
from autbot.ports.generation_store import GenerationStore
from autbot.ports.golden_set_store import GoldenSetStore
from autbot.ports.text_splitter import TextSplitter
from autbot.use_cases.evaluations import measure
from autbot.use_cases.generation_targets import SplitterFor, document_chunks, generation_embedder, generation_splitter
from autbot.use_cases.generations import switch_to
from autbot.use_cases.reindex import ReindexPlan, ReindexSettings, ids_key, read_plan
from autbot.use_cases.search import SearchChunks

_PAGE = 1000


class BuildGeneration:
    """Build one batch of a re-index job (``RunBatch`` calls it for jobs of kind ``reindex``).

    Rules:
    - Each document is built under its lock from a fresh read of its record and its kept source text, with the
      new generation's model: a write that raced the build is either built here or wrote the generation itself.
      Chunk ids are those of the live generation, so building a document twice writes the same chunks.
    - A document without kept source text (ingested before texts were kept) fails alone with
      ``source_text_missing``; a document deleted since is skipped.
    - The last batch measures the live generation and the new one on the collection's golden set and records
      both figures (also as an evaluation). With ``activate: auto`` the switch happens when no document failed
      and the gate passes (NDCG@10 at most ``max_drop`` lower); else the generation is ``held`` with the reason,
      kept for ``jobs.reindex_retention_s`` and switchable by an explicit activate call.
    - A job that ends cancelled or failed leaves the generation ``failed``; its chunks are dropped.
    """

    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        generations: GenerationStore,
        embedders: EmbedderCatalogue,
        chunks: ChunkIndex,
        splitter: TextSplitter,
        locks: DocumentLocks,
        blobs: BlobStore,
        golden_sets: GoldenSetStore,
        search: SearchChunks,
        settings: ReindexSettings | None = None,
        clock: Callable[[], float] = time.time,
        splitters: SplitterFor | None = None,
    ) -> None:
        self._registry, self._store, self._embedders, self._splitters = registry, generations, embedders, splitters
        self._chunks, self._splitter, self._locks, self._blobs = chunks, splitter, locks, blobs
        self._golden_sets, self._search = golden_sets, search
        self._settings = settings or ReindexSettings()
        self._clock = clock

    def run(self, job: Job, batch: int) -> BatchResult:
        plan = read_plan(self._blobs, job.id)
        generation = self._generation(job.collection, plan.number)
        if generation is None or generation.state is not GenerationState.BUILDING:
            return BatchResult()  # decided already (a redelivered last batch), or dropped
        if batch < job.batches - 1:
            return self._build(generation, json.loads(self._blobs.get(ids_key(job.id, batch)) or b"[]"))
        listed = {i for k in range(job.batches - 1) for i in json.loads(self._blobs.get(ids_key(job.id, k)) or b"[]")}
        result = self._build(generation, [i for i in self._all_ids(job.collection) if i not in listed])
        self._decide(generation, plan, failed=job.counts.failed + len(result.failures))
        return result

    def outcome(self, job: Job, state: JobState) -> str | None:
        """The job ended in ``state``: what it decided, or (not succeeded) its generation marked failed."""
        plan = read_plan(self._blobs, job.id)
        generation = self._generation(job.collection, plan.number)
        if generation is None:
            return None
        if state is not JobState.SUCCEEDED and generation.state is GenerationState.BUILDING:
            self._chunks.drop(generation.index_name)
            failed = replace(
                generation, state=GenerationState.FAILED, reason=f"job {state.value}", retained_until=self._clock()
            )
            self._store.put_generation(failed)
            return None
        if generation.state is GenerationState.LIVE:
            return f"activated: generation {generation.number} ({generation.reason})"
        return f"held: {generation.reason}" if generation.state is GenerationState.HELD else None

    def _build(self, generation: Generation, ids: Sequence[str]) -> BatchResult:
        if not ids:
            return BatchResult()
        embedder = generation_embedder(self._embedders, generation)
        splitter = generation_splitter(self._splitter, self._splitters, generation)
        failures: list[DocumentFailure] = []
        with self._locks.hold(generation.collection, list(ids)):
            records = self._registry.get_documents(generation.collection, list(ids))
            sources = self._store.sources(generation.collection, list(records))
            pending: list[tuple[Document, list[Chunk]]] = []
            for doc_id, record in records.items():
                source = sources.get(doc_id)
                if source is None or source[0] != record.version:
                    failures.append(_missing(doc_id))
                    continue
                pending.append((record, document_chunks(splitter, doc_id, record.version, source[1], record.metadata)))
            chunks = [c for _, cs in pending for c in cs]
            if chunks:
                vectors = embedder.embed([embedding_text(r.title, c.text) for r, cs in pending for c in cs])
                self._chunks.upsert(generation.index_name, chunks, vectors)
            for record, _ in pending:  # a version written before the build saw it
                self._chunks.delete(generation.index_name, record.id, keep_version=record.version)
        return BatchResult(
            created=len(pending),
            unchanged=len(ids) - len(records),
            chunks=len(chunks),
            bytes=sum(len(sources[r.id][1].encode()) for r, _ in pending),
            failures=tuple(failures),
        )

    def _decide(self, generation: Generation, plan: ReindexPlan, *, failed: int) -> None:
        now = self._clock()
        info = self._registry.get_collection(generation.collection)
        generations = self._store.generations(generation.collection)
        live = next((g for g in generations if info is not None and g.number == info.generation), None)
        golden = self._golden_sets.get(generation.collection)
        live_figures = candidate = None
        if golden is not None and live is not None:
            live_figures, candidate = self._figures(live, golden), self._figures(generation, golden)
            self._record(generation, live, live_figures, candidate, now)
            if live_figures is not None:
                self._store.put_generation(replace(live, figures=live_figures))
                generations = self._store.generations(generation.collection)
        decision = gate(live_figures, candidate, max_drop=plan.max_drop)
        reason = decision.reason
        if failed:
            reason = f"missing_documents: {failed} documents could not be rebuilt (source_text_missing)"
        elif decision.activate and plan.activate == "manual":
            reason = f"manual: {decision.reason}; activate it explicitly"
        built = replace(generation, figures=candidate, reason=reason)
        if decision.activate and not failed and plan.activate == "auto":
            switch_to(self._store, generations, built, now, self._settings.retention_s, reason=decision.reason)
            return
        self._store.put_generation(
            replace(built, state=GenerationState.HELD, retained_until=now + self._settings.retention_s)
        )

    def _figures(self, generation: Generation, golden: GoldenSet) -> GenerationFigures:
        options = RetrievalOptions(mode=SearchMode(limits.DEFAULT_SEARCH_MODE), top_k=limits.EVALUATION_TOP_K)
        as_info = CollectionInfo(
            name=generation.collection,
            embedding_model=generation.embedding_model,
            dimension=generation.dimension,
            generation=generation.number,
        )
        return measure(
            lambda text: self._search.retrieve(generation.collection, text, options, access=None, generation=as_info),
            golden,
        )

    def _record(
        self, candidate: Generation, live: Generation, a: GenerationFigures, b: GenerationFigures, now: float
    ) -> None:
        evaluation = Evaluation(
            id=f"{candidate.job_id or 'reindex'}-{candidate.number}",
            collection=candidate.collection,
            created_at=now,
            mode=limits.DEFAULT_SEARCH_MODE,
            generations={f"g{live.number}": a, f"g{candidate.number}": b},
        )
        self._golden_sets.add_evaluation(evaluation, keep=limits.MAX_STORED_EVALUATIONS)

    def _generation(self, collection: str, number: int) -> Generation | None:
        return next((g for g in self._store.generations(collection) if g.number == number), None)

    def _all_ids(self, collection: str) -> list[str]:
        ids: list[str] = []
        while True:
            page, total = self._registry.list_documents(collection, offset=len(ids), limit=_PAGE)
            ids += [d.id for d in page]
            if not page or len(ids) >= total:
                return ids


def _missing(doc_id: str) -> DocumentFailure:
    e = SourceTextMissing(f"Document '{doc_id}' has no kept source text; ingest it again to re-index it.")
    return DocumentFailure(item=doc_id, code=e.code, message=e.message)
