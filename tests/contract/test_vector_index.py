"""The VectorIndex contract: every adapter (the fake, the embedded store, Weaviate) passes it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.vector_index.chroma import ChromaVectorIndex
from autbot.adapters.vector_index.memory import InMemoryVectorIndex
from autbot.domain.errors import ConfigurationError, EmbeddingModelMismatch
from autbot.domain.ids import chunk_id
from autbot.domain.model import Chunk, Document, SearchMode, parse_filters
from autbot.ports.vector_index import VectorIndex
from tests.support.weaviate import WeaviateNodes

EMB = HashingEmbedder(dimension=64)


@pytest.fixture(params=["memory", "chroma", "weaviate"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    if request.param == "memory":
        idx: VectorIndex = InMemoryVectorIndex()
    elif request.param == "chroma":
        idx = ChromaVectorIndex(path=str(tmp_path / "chroma"))
    else:
        from autbot.adapters.vector_index.weaviate import WeaviateVectorIndex

        node: WeaviateNodes = request.getfixturevalue("weaviate_node")
        idx = WeaviateVectorIndex(**node.settings())  # type: ignore[arg-type]
    yield idx
    idx.close()


@pytest.fixture
def name() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


def chunks_for(doc: str, version: str, texts: list[str], **meta: object) -> list[Chunk]:
    return [
        Chunk(
            id=chunk_id(doc, version, i),
            document_id=doc,
            document_version=version,
            text=t,
            position=i,
            metadata=dict(meta),
        )
        for i, t in enumerate(texts)
    ]  # type: ignore[arg-type]


def put(index: VectorIndex, name: str, doc: str, version: str, texts: list[str], **meta: object) -> list[Chunk]:
    chunks = chunks_for(doc, version, texts, **meta)
    index.upsert_chunks(name, chunks, EMB.embed([c.text for c in chunks]))
    now = time.time()
    index.put_documents(
        [
            Document(
                id=doc,
                collection=name,
                title=f"T {doc}",
                source=None,
                metadata=dict(meta),  # type: ignore[arg-type]
                version=version,
                chunk_count=len(chunks),
                embedding_model=EMB.model_id,
                created_at=now,
                updated_at=now,
            )
        ]
    )
    return chunks


def test_satisfies_the_protocol(index: VectorIndex) -> None:
    assert isinstance(index, VectorIndex)
    assert SearchMode.VECTOR in index.search_modes
    assert index.health().ok


def test_collection_lifecycle(index: VectorIndex, name: str) -> None:
    assert index.get_collection(name) is None
    info = index.ensure_collection(name, embedding_model=EMB.model_id, dimension=EMB.dimension)
    assert (info.name, info.embedding_model, info.dimension, info.chunk_count) == (name, EMB.model_id, 64, 0)
    assert index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64).name == name  # idempotent
    assert name in [c.name for c in index.list_collections()]
    assert index.delete_collection(name) is True
    assert index.get_collection(name) is None
    assert index.delete_collection(name) is False


def test_refuses_to_mix_embedding_models(index: VectorIndex, name: str) -> None:
    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    with pytest.raises(EmbeddingModelMismatch):
        index.ensure_collection(name, embedding_model="other-model", dimension=64)
    with pytest.raises(EmbeddingModelMismatch):
        index.ensure_collection(name, embedding_model=EMB.model_id, dimension=32)
    index.delete_collection(name)


def test_upsert_search_and_scores(index: VectorIndex, name: str) -> None:
    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    put(index, name, "cats", "v1", ["the cat sat on the mat", "cats purr when happy"], lang="en")
    put(index, name, "dogs", "v1", ["dogs bark at the postman"], lang="en")
    assert index.count_chunks(name) == 3
    hits = index.search(name, EMB.embed(["the cat sat on the mat"])[0], top_k=2)
    assert len(hits) == 2
    assert hits[0].chunk.text == "the cat sat on the mat"
    assert hits[0].chunk.document_id == "cats"
    assert hits[0].chunk.document_version == "v1"
    assert hits[0].chunk.metadata == {"lang": "en"}
    assert hits[0].score == pytest.approx(1.0, abs=1e-3)
    assert hits[0].score >= hits[1].score
    # writing the same ids again replaces, never duplicates
    put(index, name, "cats", "v1", ["the cat sat on the mat", "cats purr when happy"], lang="en")
    assert index.count_chunks(name) == 3
    index.delete_collection(name)


def test_metadata_filters(index: VectorIndex, name: str) -> None:
    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    put(index, name, "a", "v1", ["alpha text about rivers"], lang="en", year=2023, draft=False)
    put(index, name, "b", "v1", ["beta text about rivers"], lang="de", year=2024, draft=True)
    put(index, name, "c", "v1", ["gamma text about rivers"], lang="en", year=2024, draft=False)
    q = EMB.embed(["text about rivers"])[0]

    def ids(filters: dict[str, object]) -> set[str]:
        return {h.chunk.document_id for h in index.search(name, q, top_k=10, filters=parse_filters(filters))}

    assert ids({"lang": "en"}) == {"a", "c"}
    assert ids({"lang": "en", "year": 2024}) == {"c"}
    assert ids({"year": [2023, 2024]}) == {"a", "b", "c"}
    assert ids({"year": 2024.0}) == {"b", "c"}  # 2024.0 == 2024
    assert ids({"draft": True}) == {"b"}
    assert ids({"lang": "fr"}) == set()
    assert ids({"document_id": "b"}) == {"b"}
    index.delete_collection(name)


def test_delete_chunks_keeping_one_version(index: VectorIndex, name: str) -> None:
    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    put(index, name, "d", "v1", ["old words one", "old words two"])
    put(index, name, "d", "v2", ["new words"])
    put(index, name, "e", "v1", ["other document"])
    assert index.count_chunks(name) == 4
    index.delete_chunks(name, "d", keep_version="v2")
    assert index.count_chunks(name) == 2
    assert {
        h.chunk.document_version
        for h in index.search(name, EMB.embed(["words"])[0], top_k=10)
        if h.chunk.document_id == "d"
    } == {"v2"}
    index.delete_chunks(name, "d")
    assert index.count_chunks(name) == 1
    index.delete_collection(name)


def test_document_registry(index: VectorIndex, name: str) -> None:
    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    for i in range(7):
        put(index, name, f"doc-{i}", "v1", [f"text {i}"], n=i)
    got = index.get_documents(name, ["doc-1", "doc-5", "missing"])
    assert set(got) == {"doc-1", "doc-5"}
    assert got["doc-5"].metadata == {"n": 5}
    assert got["doc-5"].title == "T doc-5"
    page, total = index.list_documents(name, offset=2, limit=3)
    assert total == 7
    assert [d.id for d in page] == ["doc-2", "doc-3", "doc-4"]
    assert index.list_documents(name, offset=7, limit=3) == ([], 7)
    assert index.delete_document(name, "doc-1") is True
    assert index.delete_document(name, "doc-1") is False
    assert index.get_collection(name).document_count == 6  # type: ignore[union-attr]
    index.delete_collection(name)


def test_search_on_unknown_or_empty_collection(index: VectorIndex, name: str) -> None:
    assert index.search(name, EMB.embed(["x"])[0], top_k=3) == []
    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    assert index.search(name, EMB.embed(["x"])[0], top_k=3) == []
    index.delete_collection(name)


def test_hybrid_and_keyword_where_supported(index: VectorIndex, name: str) -> None:
    if SearchMode.KEYWORD not in index.search_modes:
        assert index.search_modes == frozenset({SearchMode.VECTOR})
        return
    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    put(index, name, "k1", "v1", ["zebra crossings are striped"])
    put(index, name, "k2", "v1", ["penguins live in antarctica"])
    kw = index.search(name, [], top_k=5, mode=SearchMode.KEYWORD, query_text="penguins")
    assert [h.chunk.document_id for h in kw] == ["k2"]
    hy = index.search(name, EMB.embed(["zebra"])[0], top_k=5, mode=SearchMode.HYBRID, query_text="zebra", alpha=0.5)
    assert hy[0].chunk.document_id == "k1"
    index.delete_collection(name)


def test_concurrent_reads_during_writes(index: VectorIndex, name: str) -> None:
    """Readers keep getting answers while a writer replaces chunks."""
    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    put(index, name, "w", "v0", ["stable text"])
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                assert index.search(name, EMB.embed(["text"])[0], top_k=3)
        except BaseException as e:  # collected and re-raised below
            errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    for v in range(1, 6):
        put(index, name, "w", f"v{v}", ["stable text", f"version {v}"])
        index.delete_chunks(name, "w", keep_version=f"v{v}")
    stop.set()
    t.join(30)
    assert not errors
    assert index.count_chunks(name) == 2
    index.delete_collection(name)


def test_embedded_store_is_single_process(tmp_path: Path) -> None:
    first = ChromaVectorIndex(path=str(tmp_path / "x"))
    with pytest.raises(ConfigurationError, match="single-process"):
        ChromaVectorIndex(path=str(tmp_path / "x"))
    first.close()
    ChromaVectorIndex(path=str(tmp_path / "x")).close()  # free again once closed


def test_embedded_store_persists_across_reopen(tmp_path: Path) -> None:
    idx = ChromaVectorIndex(path=str(tmp_path / "p"))
    idx.ensure_collection("keep", embedding_model=EMB.model_id, dimension=64)
    put(idx, "keep", "doc", "v1", ["persisted words"])
    idx.close()
    again = ChromaVectorIndex(path=str(tmp_path / "p"))
    assert again.count_chunks("keep") == 1
    assert again.get_documents("keep", ["doc"])["doc"].version == "v1"
    assert again.search("keep", EMB.embed(["persisted words"])[0], top_k=1)[0].chunk.document_id == "doc"
    again.close()


def test_replacing_a_document_is_atomic_through_the_use_cases(index: VectorIndex, name: str) -> None:
    """IngestDocuments + SearchChunks on this adapter: a reader sees one version, never both or none."""
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
    from autbot.domain.model import DocumentInput
    from autbot.use_cases.ingest import IngestDocuments, IngestRequest
    from autbot.use_cases.search import SearchChunks, SearchRequest

    ingest = IngestDocuments(embedder=EMB, index=index, splitter=LlamaIndexTextSplitter(chunk_size=16, chunk_overlap=2))
    search = SearchChunks(embedder=EMB, index=index)
    texts = {v: " ".join(f"Version {v} sentence {i} about glaciers." for i in range(6)) for v in ("one", "two")}
    ingest.execute(IngestRequest(collection=name, documents=(DocumentInput(id="g", text=texts["one"]),)))
    seen: list[set[str]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            hits = search.execute(SearchRequest(collection=name, query="sentence about glaciers", top_k=30))
            seen.append({h.chunk.text.split()[1] for h in hits})

    t = threading.Thread(target=reader)
    t.start()
    for i in range(10):
        ingest.execute(
            IngestRequest(
                collection=name, documents=(DocumentInput(id="g", text=texts["two" if i % 2 == 0 else "one"]),)
            )
        )
    stop.set()
    t.join(60)
    index.delete_collection(name)
    assert seen
    assert all(s in ({"one"}, {"two"}) for s in seen), [s for s in seen if s not in ({"one"}, {"two"})]


def test_a_partly_bad_batch_is_reported_never_silently_dropped(index: VectorIndex, name: str) -> None:
    from autbot.domain.errors import IndexWriteFailed

    index.ensure_collection(name, embedding_model=EMB.model_id, dimension=64)
    chunks = chunks_for("p", "v1", ["good one", "bad one", "good two"])
    vectors = EMB.embed([c.text for c in chunks])
    vectors[1] = vectors[1][:10]  # wrong dimension
    with pytest.raises(IndexWriteFailed) as e:
        index.upsert_chunks(name, chunks, vectors)
    assert e.value.code == "index_write_failed"
    index.delete_collection(name)


def test_a_failed_write_leaves_the_stored_version_live(index: VectorIndex, name: str) -> None:
    """Through the use case: a rejected update raises, and the previous version still answers."""
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
    from autbot.domain.errors import IndexWriteFailed
    from autbot.domain.model import DocumentInput
    from autbot.use_cases.ingest import IngestDocuments, IngestRequest
    from autbot.use_cases.search import SearchChunks, SearchRequest

    class BrokenEmbedder(HashingEmbedder):
        def embed(self, texts: list[str]) -> list[list[float]]:  # type: ignore[override]
            return [v[:10] for v in super().embed(texts)]

    splitter = LlamaIndexTextSplitter()
    IngestDocuments(embedder=EMB, index=index, splitter=splitter).execute(
        IngestRequest(collection=name, documents=(DocumentInput(id="keep", text="original words stay"),))
    )
    broken = BrokenEmbedder(dimension=64)
    with pytest.raises(IndexWriteFailed):
        IngestDocuments(embedder=broken, index=index, splitter=splitter).execute(
            IngestRequest(collection=name, documents=(DocumentInput(id="keep", text="replacement words"),))
        )
    hits = SearchChunks(embedder=EMB, index=index).execute(SearchRequest(collection=name, query="original words"))
    assert [h.chunk.text for h in hits] == ["original words stay"]
    index.delete_collection(name)
