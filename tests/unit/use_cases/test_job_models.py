"""Jobs name the embedding model like the synchronous routes: a new collection takes it; an existing one of
another model is refused at submission (409), never later in the worker."""

from __future__ import annotations

import pytest

from autbot.adapters.embedders.catalogue import ServedModel, StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.domain.auth import Principal, Scope
from autbot.domain.errors import EmbeddingModelMismatch, ModelNotFound
from autbot.domain.jobs import JobState
from autbot.domain.model import DocumentInput
from autbot.use_cases.collection_models import CollectionModels
from autbot.use_cases.ingest import IngestDocuments, IngestRequest
from autbot.use_cases.job_batches import RunBatch
from autbot.use_cases.jobs import SubmitJob, SubmitJobRequest
from tests.support.fakes import InMemoryBlobStore, InMemoryJobQueue, InMemoryJobStore, World

ALICE = Principal(name="alice", scopes=frozenset({Scope.INGEST}))
DOCS = (DocumentInput(id="a", text="Some words."), DocumentInput(id="b", text="Other words."))


class Jobs:
    def __init__(self) -> None:
        world = World()
        self.registry = world.registry
        small = HashingEmbedder(dimension=64, model_id="small-id")
        big = HashingEmbedder(dimension=96, model_id="big-id")
        served = [ServedModel(name=n, passages=e, queries=e) for n, e in (("small", small), ("big", big))]
        catalogue = StaticEmbedderCatalogue(served, default="small")
        self.ingest = IngestDocuments(
            embedders=catalogue,
            chunks=world.chunks,
            registry=world.registry,
            splitter=world.splitter,
            locks=world.locks,
        )
        self.store, self.queue, self.blobs = InMemoryJobStore(), InMemoryJobQueue(), InMemoryBlobStore()
        models = CollectionModels(embedders=catalogue, registry=world.registry)
        self.submit = SubmitJob(store=self.store, queue=self.queue, blobs=self.blobs, models=models)
        self.run = RunBatch(
            store=self.store,
            queue=self.queue,
            blobs=self.blobs,
            ingest=self.ingest,
            reader=MultiFormatDocumentReader(),
            registry=world.registry,
        )

    def submit_docs(self, collection: str, embedder: str | None) -> str:
        request = SubmitJobRequest(collection=collection, principal=ALICE, documents=DOCS, embedder=embedder)
        return self.submit.execute(request).id

    def drain(self) -> None:
        while (d := self.queue.receive(0)) is not None:
            self.run.execute(d.message)
            self.queue.ack(d)


def test_a_job_creates_its_collection_with_the_model_it_names() -> None:
    jobs = Jobs()
    job_id = jobs.submit_docs("kb", "big")
    assert jobs.store.get(job_id).embedder == "big-id"  # type: ignore[union-attr]
    jobs.drain()
    assert jobs.store.get(job_id).state is JobState.SUCCEEDED  # type: ignore[union-attr]
    info = jobs.registry.get_collection("kb")
    assert info is not None
    assert (info.embedding_model, info.dimension) == ("big-id", 96)


def test_without_a_model_a_new_collection_takes_the_default() -> None:
    jobs = Jobs()
    jobs.submit_docs("kb", None)
    jobs.drain()
    assert jobs.registry.get_collection("kb").embedding_model == "small-id"  # type: ignore[union-attr]


def test_an_existing_collection_refuses_another_model_at_submission() -> None:
    jobs = Jobs()
    jobs.ingest.execute(IngestRequest(principal=ALICE, collection="kb", documents=DOCS, embedder="small"))
    with pytest.raises(EmbeddingModelMismatch) as refused:
        jobs.submit_docs("kb", "big")
    assert refused.value.code == "embedding_model_mismatch"
    assert jobs.store.find(owner=None, collection=None, state=None, limit=10) == []
    assert jobs.queue.depth() == 0
    ok = jobs.submit_docs("kb", "small-id")  # its own model, by name or id
    jobs.drain()
    assert jobs.store.get(ok).state is JobState.SUCCEEDED  # type: ignore[union-attr]


def test_a_model_not_served_is_refused_at_submission() -> None:
    jobs = Jobs()
    with pytest.raises(ModelNotFound):
        jobs.submit_docs("kb", "nope")
    assert jobs.registry.get_collection("kb") is None


def test_a_collection_made_with_another_model_after_submission_fails_the_job_with_the_reason() -> None:
    jobs = Jobs()
    job_id = jobs.submit_docs("kb", "big")
    jobs.ingest.execute(IngestRequest(principal=ALICE, collection="kb", documents=DOCS, embedder="small"))
    jobs.drain()
    job = jobs.store.get(job_id)
    assert job is not None
    assert job.state is JobState.FAILED
    assert (job.error or "").startswith("embedding_model_mismatch")
