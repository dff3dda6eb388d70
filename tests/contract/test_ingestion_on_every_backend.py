"""The ingestion and search use cases over each storage backend: the rules hold whatever stores the data."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from autbot.adapters.embedders.catalogue import StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import EmbeddingModelMismatch, IndexWriteFailed
from autbot.domain.model import DocumentInput
from autbot.domain.retrieval import RetrievalOptions
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import Embedder
from autbot.use_cases.documents import CollectionRef, DeleteCollection
from autbot.use_cases.ingest import IngestDocuments, IngestRequest
from autbot.use_cases.search import SearchChunks, SearchRequest
from tests.support.backends import BACKENDS, EMB, storage

Stores = tuple[ChunkIndex, DocumentRegistry]


@pytest.fixture(params=BACKENDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    with storage(request.param, request, tmp_path) as pair:
        yield pair


@pytest.fixture
def name(stores: Stores) -> Iterator[str]:
    collection = f"c-{uuid.uuid4().hex[:12]}"
    yield collection
    chunks, registry = stores
    DeleteCollection(registry=registry, chunks=chunks).execute(
        CollectionRef(principal=ANONYMOUS, collection=collection)
    )


def ingester(stores: Stores, embedder: Embedder = EMB, chunk_size: int = 16) -> IngestDocuments:
    chunks, registry = stores
    return IngestDocuments(
        embedders=StaticEmbedderCatalogue.single(embedder),
        chunks=chunks,
        registry=registry,
        splitter=LlamaIndexTextSplitter(chunk_size=chunk_size, chunk_overlap=2),
        locks=InProcessDocumentLocks(),
    )


def searcher(stores: Stores) -> SearchChunks:
    chunks, registry = stores
    return SearchChunks(embedders=StaticEmbedderCatalogue.single(EMB), chunks=chunks, registry=registry)


def test_replacing_a_document_is_atomic_for_readers(stores: Stores, name: str) -> None:
    """A reader sees one version, never both or none."""
    ingest, search = ingester(stores), searcher(stores)
    texts = {v: " ".join(f"Version {v} sentence {i} about glaciers." for i in range(6)) for v in ("one", "two")}
    ingest.execute(
        IngestRequest(principal=ANONYMOUS, collection=name, documents=(DocumentInput(id="g", text=texts["one"]),))
    )
    seen: list[set[str]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            hits = search.execute(
                SearchRequest(
                    principal=ANONYMOUS,
                    collection=name,
                    query="sentence about glaciers",
                    retrieval=RetrievalOptions(top_k=30),
                )
            )
            seen.append({h.chunk.text.split()[1] for h in hits})

    t = threading.Thread(target=reader)
    t.start()
    for i in range(10):
        text = texts["two" if i % 2 == 0 else "one"]
        ingest.execute(
            IngestRequest(principal=ANONYMOUS, collection=name, documents=(DocumentInput(id="g", text=text),))
        )
    stop.set()
    t.join(60)
    assert seen
    assert all(s in ({"one"}, {"two"}) for s in seen), [s for s in seen if s not in ({"one"}, {"two"})]


def test_a_failed_write_leaves_the_stored_version_live(stores: Stores, name: str) -> None:
    class BrokenEmbedder(HashingEmbedder):
        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            return [v[:10] for v in super().embed(texts)]

    ingester(stores).execute(
        IngestRequest(
            principal=ANONYMOUS, collection=name, documents=(DocumentInput(id="keep", text="original words stay"),)
        )
    )
    with pytest.raises(IndexWriteFailed):
        ingester(stores, BrokenEmbedder(dimension=64)).execute(
            IngestRequest(
                principal=ANONYMOUS, collection=name, documents=(DocumentInput(id="keep", text="replacement words"),)
            )
        )
    hits = searcher(stores).execute(SearchRequest(principal=ANONYMOUS, collection=name, query="original words"))
    assert [h.chunk.text for h in hits] == ["original words stay"]
    assert stores[1].get_documents(name, ["keep"])["keep"].chunk_count == 1


def test_models_never_mix_in_a_collection(stores: Stores, name: str) -> None:
    ingester(stores).execute(
        IngestRequest(principal=ANONYMOUS, collection=name, documents=(DocumentInput(id="a", text="first words"),))
    )
    other = HashingEmbedder(dimension=64, model_id="another-model")
    with pytest.raises(EmbeddingModelMismatch) as e:
        ingester(stores, other).execute(
            IngestRequest(principal=ANONYMOUS, collection=name, documents=(DocumentInput(id="b", text="x"),))
        )
    assert e.value.details["collection_model"] == EMB.model_id
    assert stores[1].get_documents(name, ["b"]) == {}
    assert stores[0].count(name) == 1
