"""Re-indexing over the fakes: writes during a build reach both generations (none lost, none duplicated), the
gate switches or holds, rollback and explicit activation, the retention sweep, cancel, one build at a time, and
documents without a kept source text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
from autbot.adapters.embedders.catalogue import ServedModel, StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.adapters.registry.memory import InMemoryDocumentRegistry
from autbot.adapters.registry.memory_generations import InMemoryGenerationStore
from autbot.adapters.registry.memory_golden_sets import InMemoryGoldenSetStore
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain import limits
from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import GenerationNotActivatable, ReindexInProgress, RollbackUnavailable
from autbot.domain.generations import GenerationState
from autbot.domain.golden_sets import GoldenQuery, GoldenSet
from autbot.domain.jobs import Job, JobState
from autbot.domain.model import ChunkQuery, DocumentInput, SearchMode
from autbot.use_cases.documents import DeleteDocument, DocumentRef
from autbot.use_cases.generations import ActivateGeneration, GenerationRef, RollBack, SweepGenerations
from autbot.use_cases.ingest import IngestDocuments, IngestRequest
from autbot.use_cases.job_batches import RunBatch
from autbot.use_cases.reindex import ReindexRequest, ReindexSettings, SubmitReindex
from autbot.use_cases.reindex_build import BuildGeneration
from autbot.use_cases.search import SearchChunks
from tests.support.fakes import InMemoryBlobStore, InMemoryJobQueue, InMemoryJobStore

TOPICS = ["rivers carry sediment", "glaciers carve valleys", "deserts hold dunes", "reefs shelter fish"]


class ConstantEmbedder(HashingEmbedder):
    """A model that sees no difference between texts: every search ranks arbitrarily (a bad candidate)."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0] + [0.0] * (self.dimension - 1) for _ in texts]


@dataclass
class Clock:
    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


class Reindexing:
    def __init__(self, *, candidate: HashingEmbedder | None = None, batch_size: int = 3) -> None:
        old = HashingEmbedder(dimension=64, model_id="old-id")
        new = candidate or HashingEmbedder(dimension=32, model_id="new-id")
        self.catalogue = StaticEmbedderCatalogue(
            [ServedModel(name="old", passages=old, queries=old), ServedModel(name="new", passages=new, queries=new)],
            default="old",
        )
        self.clock = Clock()
        self.registry = InMemoryDocumentRegistry()
        self.store = InMemoryGenerationStore(self.registry)
        self.chunks = InMemoryChunkIndex()
        self.locks = InProcessDocumentLocks()
        self.splitter = LlamaIndexTextSplitter(chunk_size=64, chunk_overlap=8)
        self.golden = InMemoryGoldenSetStore()
        self.jobs, self.queue, self.blobs = InMemoryJobStore(), InMemoryJobQueue(), InMemoryBlobStore()
        self.ingest = self.ingester(keep_sources=True)
        self.search = SearchChunks(embedders=self.catalogue, chunks=self.chunks, registry=self.registry)
        settings = ReindexSettings(batch_size=batch_size, retention_s=100.0)
        self.submit = SubmitReindex(
            registry=self.registry,
            generations=self.store,
            embedders=self.catalogue,
            chunks=self.chunks,
            store=self.jobs,
            queue=self.queue,
            blobs=self.blobs,
            settings=settings,
            clock=self.clock,
        )
        build = BuildGeneration(
            registry=self.registry,
            generations=self.store,
            embedders=self.catalogue,
            chunks=self.chunks,
            splitter=self.splitter,
            locks=self.locks,
            blobs=self.blobs,
            golden_sets=self.golden,
            search=self.search,
            settings=settings,
            clock=self.clock,
            splitters=self.splitter_for,
        )
        self.run = RunBatch(
            store=self.jobs,
            queue=self.queue,
            blobs=self.blobs,
            ingest=self.ingest,
            reader=MultiFormatDocumentReader(),
            registry=self.registry,
            reindex=build,
            clock=self.clock,
        )
        self.delete = DeleteDocument(registry=self.registry, chunks=self.chunks, generations=self.store)

    @staticmethod
    def splitter_for(size: int, overlap: int) -> LlamaIndexTextSplitter:
        return LlamaIndexTextSplitter(chunk_size=size, chunk_overlap=overlap)

    def activate(self, number: int) -> GenerationState:
        use_case = ActivateGeneration(
            registry=self.registry, generations=self.store, retention_s=100.0, clock=self.clock
        )
        return use_case.execute(GenerationRef(principal=ANONYMOUS, collection="kb", number=number)).state

    def roll_back(self) -> int:
        use_case = RollBack(registry=self.registry, generations=self.store, retention_s=100.0, clock=self.clock)
        return use_case.execute(GenerationRef(principal=ANONYMOUS, collection="kb")).number

    def ingester(self, *, keep_sources: bool) -> IngestDocuments:
        return IngestDocuments(
            embedders=self.catalogue,
            chunks=self.chunks,
            registry=self.registry,
            splitter=self.splitter,
            locks=self.locks,
            generations=self.store if keep_sources else None,
            splitters=self.splitter_for,
        )

    def add(self, *docs: DocumentInput, ingest: IngestDocuments | None = None) -> None:
        (ingest or self.ingest).execute(IngestRequest(principal=ANONYMOUS, collection="kb", documents=docs))

    def seed(self, n: int = 8, *, golden: bool = True) -> None:
        self.add(*(DocumentInput(id=f"d{i}", text=f"Document {i}: {TOPICS[i % 4]}.") for i in range(n)))
        if golden:
            queries = tuple(GoldenQuery(id=f"q{t}", text=TOPICS[t]) for t in range(4))
            qrels = {f"q{t}": {f"d{i}": 1 for i in range(t, n, 4)} for t in range(4)}
            self.golden.put("kb", GoldenSet(queries=queries, qrels=qrels, updated_at=1.0))

    def start(self, **kw: object) -> Job:
        return self.submit.execute(ReindexRequest(principal=ANONYMOUS, collection="kb", embedder="new", **kw))  # type: ignore[arg-type]

    def work(self, between: Callable[[int], object] = lambda _: None) -> Job:
        """Run the queue dry; ``between(batch)`` runs before each batch (writes that race the build)."""
        job = None
        while (delivery := self.queue.receive(0)) is not None:
            between(delivery.message.batch)
            job = self.run.execute(delivery.message)
            self.queue.ack(delivery)
        assert job is not None
        return job

    def states(self) -> dict[int, GenerationState]:
        return {g.number: g.state for g in self.store.generations("kb")}

    def doc_chunks(self, index: str, dimension: int) -> dict[str, set[str]]:
        """Document id -> the versions of its chunks in one chunk-index collection (a search that finds all)."""
        vector = [1.0] + [0.0] * (dimension - 1)
        hits = self.chunks.search(index, ChunkQuery(text="x", mode=SearchMode.VECTOR, top_k=10_000, vector=vector))
        out: dict[str, set[str]] = {}
        for h in hits:
            out.setdefault(h.chunk.document_id, set()).add(h.chunk.document_version)
        return out


def test_writes_during_the_build_reach_both_generations_none_lost_none_duplicated() -> None:
    r = Reindexing()
    r.seed(8)

    def writes(batch: int) -> None:
        if batch == 1:  # the first batch is built: now write
            r.add(DocumentInput(id="new", text="A new document about volcanoes."))
            r.add(DocumentInput(id="d0", text="Document 0 replaced: about comets."))  # already built
            r.add(DocumentInput(id="d7", text="Document 7 replaced: about tides."))  # not built yet
            r.delete.execute(DocumentRef(principal=ANONYMOUS, collection="kb", document_id="d1"))

    r.start(max_drop=1.0)
    assert r.work(between=writes).state is JobState.SUCCEEDED
    live, old = r.doc_chunks("kb.g1", 32), r.doc_chunks("kb", 64)
    assert live == old  # the same documents at the same versions, one version each
    assert set(live) == {f"d{i}" for i in range(8)} - {"d1"} | {"new"}
    records = r.registry.get_documents("kb", list(live))
    assert all(live[d] == {records[d].version} for d in live)
    assert r.chunks.count("kb.g1") == r.chunks.count("kb")


def test_a_passing_gate_switches_and_rollback_switches_back() -> None:
    r = Reindexing()
    r.seed()
    job = r.start(max_drop=1.0)
    done = r.work()
    assert str(done.outcome).startswith("activated: generation 1 (NDCG@10 "), done
    info = r.registry.get_collection("kb")
    assert info is not None
    assert (info.embedding_model, info.generation) == ("new-id", 1)
    assert r.states() == {0: GenerationState.PREVIOUS, 1: GenerationState.LIVE}
    assert all(g.figures is not None for g in r.store.generations("kb"))
    assert [set(e.generations) for e in r.golden.evaluations("kb", limit=5)] == [{"g0", "g1"}]
    assert job.kind == "reindex"
    assert r.roll_back() == 0
    assert r.states() == {0: GenerationState.LIVE, 1: GenerationState.PREVIOUS}
    assert r.registry.get_collection("kb").embedding_model == "old-id"  # type: ignore[union-attr]


def test_a_worse_candidate_is_held_with_the_reason_and_both_figures() -> None:
    r = Reindexing(candidate=ConstantEmbedder(dimension=32, model_id="new-id"))
    r.seed(16)
    r.start(max_drop=0.0)
    done = r.work()
    assert str(done.outcome).startswith("held: quality_gate"), done.outcome
    assert r.states() == {0: GenerationState.LIVE, 1: GenerationState.HELD}
    held = r.store.generations("kb")[1]
    live = r.store.generations("kb")[0]
    assert held.figures is not None
    assert live.figures is not None
    assert held.figures.ndcg_at_10 < live.figures.ndcg_at_10
    assert held.retained_until == r.clock.now + 100.0
    assert r.activate(1) is GenerationState.LIVE  # an operator may overrule the gate


def test_without_a_golden_set_auto_activation_refuses_and_manual_holds() -> None:
    r = Reindexing()
    r.seed(golden=False)
    r.start()
    assert r.work().outcome == "held: no_golden_set: the collection has no golden set to compare on"
    with pytest.raises(RollbackUnavailable):
        r.roll_back()


def test_the_sweep_drops_generations_past_their_retention_never_the_live_one() -> None:
    r = Reindexing()
    r.seed()
    r.start(max_drop=1.0)
    r.work()
    sweep = SweepGenerations(registry=r.registry, generations=r.store, chunks=r.chunks, clock=r.clock)
    assert sweep.execute().generations == 0  # within retention
    r.clock.now += 101
    assert sweep.execute().generations == 1
    assert r.states() == {1: GenerationState.LIVE}
    assert r.chunks.count("kb") == 0
    assert r.chunks.count("kb.g1") > 0


def test_a_cancelled_build_ends_failed_and_its_chunks_go() -> None:
    r = Reindexing()
    r.seed()
    job = r.start()
    with pytest.raises(ReindexInProgress):
        r.start()
    r.work(between=lambda b: r.jobs.request_cancel(job.id, r.clock.now) if b == 1 else None)
    assert r.jobs.get(job.id).state is JobState.CANCELLED  # type: ignore[union-attr]
    assert r.states() == {0: GenerationState.LIVE, 1: GenerationState.FAILED}
    assert r.chunks.count("kb.g1") == 0
    with pytest.raises(GenerationNotActivatable):
        r.activate(1)
    assert r.start().kind == "reindex"  # the next build may start


def test_the_sweep_fails_and_drops_a_build_whose_job_was_cancelled_before_it_ran() -> None:
    r = Reindexing()
    r.seed()
    job = r.start()
    r.jobs.request_cancel(job.id, r.clock.now)  # queued: ends at once, no worker ever sees it
    assert r.states() == {0: GenerationState.LIVE, 1: GenerationState.BUILDING}
    sweep = SweepGenerations(registry=r.registry, generations=r.store, chunks=r.chunks, jobs=r.jobs, clock=r.clock)
    assert sweep.execute().generations == 1
    assert r.states() == {0: GenerationState.LIVE}
    assert r.chunks.count("kb") > 0


def test_the_sweep_leaves_a_build_whose_job_runs_or_was_just_recorded() -> None:
    r = Reindexing()
    r.seed()
    job = r.start()
    sweep = SweepGenerations(registry=r.registry, generations=r.store, chunks=r.chunks, jobs=r.jobs, clock=r.clock)
    assert sweep.execute().generations == 0  # queued: the build will run
    r.jobs.delete(job.id)  # its record not there (yet, or any more)
    assert sweep.execute().generations == 0  # within the grace of a record about to be written
    r.clock.now += limits.ABANDONED_BUILD_GRACE_S
    assert sweep.execute().generations == 1
    assert r.states() == {0: GenerationState.LIVE}


def test_documents_without_a_kept_source_text_fail_alone_and_hold_the_switch() -> None:
    r = Reindexing()
    r.seed(4)
    r.add(
        DocumentInput(id="legacy", text="Ingested before source texts were kept."),
        ingest=r.ingester(keep_sources=False),
    )
    r.start(max_drop=1.0)
    done = r.work()
    assert done.counts.failed == 1
    assert str(done.outcome).startswith("held: missing_documents"), done.outcome
    assert r.states()[1] is GenerationState.HELD


def test_a_generation_with_a_chunking_of_its_own_is_built_and_written_with_it() -> None:
    r = Reindexing()
    long = " ".join(f"Sentence {k} about rivers, sediment and deltas." for k in range(20))
    r.add(*(DocumentInput(id=f"d{i}", text=f"{i}. {long}") for i in range(4)))
    r.start(max_drop=1.0, chunk_size=16, chunk_overlap=0)

    def write(batch: int) -> None:
        if batch == 1:
            r.add(DocumentInput(id="late", text=f"Late. {long}"))

    r.work(between=write)
    new = r.store.generations("kb")[1]
    assert (new.chunk_size, new.chunk_overlap) == (16, 0)
    assert r.chunks.count("kb.g1") > r.chunks.count("kb")
    small = LlamaIndexTextSplitter(chunk_size=16, chunk_overlap=0)
    expected = len([t for t in small.split(f"Late. {long}") if t.strip()])
    late = [h for h in r.chunks.search("kb.g1", _all(32)) if h.chunk.document_id == "late"]
    assert len(late) == expected


def _all(dimension: int) -> ChunkQuery:
    return ChunkQuery(text="x", mode=SearchMode.VECTOR, top_k=10_000, vector=[1.0] + [0.0] * (dimension - 1))
