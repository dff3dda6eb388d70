from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import (
    CollectionNotFound,
    DocumentNotFound,
    DocumentTooLarge,
    EmbeddingModelMismatch,
    EmptyDocument,
    InvalidInput,
)
from autbot.domain.model import DocumentInput, SearchMode, parse_filters
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.documents import (
    CollectionRef,
    DeleteCollection,
    DeleteDocument,
    DocumentRef,
    GetDocument,
    ListCollections,
    ListCollectionsRequest,
    ListDocuments,
    ListDocumentsRequest,
)
from autbot.use_cases.ingest import IngestLimits, IngestRequest
from autbot.use_cases.search import SearchRequest
from tests.support.fakes import World

TEXT = "Alpine lakes are cold. They freeze in winter. Trout live in them."


def ingest(w: World, *docs: DocumentInput, collection: str = "c") -> list[tuple[str, str, int]]:
    return [
        (o.document_id, o.status, o.chunks)
        for o in w.ingest.execute(IngestRequest(principal=ANONYMOUS, collection=collection, documents=docs))
    ]


def test_ingest_is_idempotent_and_reports_status() -> None:
    w = World()
    assert ingest(w, DocumentInput(id="lakes", text=TEXT)) == [("lakes", "created", 1)]
    assert ingest(w, DocumentInput(id="lakes", text=TEXT)) == [("lakes", "unchanged", 1)]
    assert ingest(w, DocumentInput(id="lakes", text=TEXT + " Pike too.")) == [("lakes", "updated", 1)]
    assert ingest(w, DocumentInput(id="lakes", text=TEXT + " Pike too.", metadata={"k": 1}))[0][1] == "updated"
    assert w.chunks.count("c") == 1


def test_derived_ids_from_content_and_source() -> None:
    w = World()
    [(by_text, status, _)] = ingest(w, DocumentInput(text=TEXT))
    assert by_text.startswith("doc-")
    assert status == "created"
    assert ingest(w, DocumentInput(text=TEXT))[0] == (by_text, "unchanged", 1)
    [(by_source, _, _)] = ingest(w, DocumentInput(text="v1 words", source="notes/a file.txt"))
    assert by_source.startswith("notes-a-file.txt:")
    assert ingest(w, DocumentInput(text="v2 words", source="notes/a file.txt"))[0][:2] == (by_source, "updated")


def test_validation_happens_before_any_write() -> None:
    w = World()
    with pytest.raises(EmptyDocument):
        ingest(w, DocumentInput(id="ok", text="fine"), DocumentInput(id="bad", text="   "))
    assert w.registry.get_collection("c") is None
    assert w.chunks.count("c") == 0
    with pytest.raises(InvalidInput, match="twice"):
        ingest(w, DocumentInput(id="x", text="a"), DocumentInput(id="x", text="b"))
    with pytest.raises(InvalidInput):
        ingest(w, DocumentInput(id="bad id!", text="a"))
    with pytest.raises(InvalidInput):
        ingest(w)
    small = w.ingester(limits=IngestLimits(max_document_chars=10))
    with pytest.raises(DocumentTooLarge):
        small.execute(IngestRequest(principal=ANONYMOUS, collection="c", documents=(DocumentInput(text="x" * 11),)))


def test_a_collection_never_mixes_embedding_models() -> None:
    w = World()
    ingest(w, DocumentInput(id="a", text=TEXT))
    other = HashingEmbedder(dimension=128, model_id="another-model")
    with pytest.raises(EmbeddingModelMismatch):
        w.ingester(embedder=other).execute(
            IngestRequest(principal=ANONYMOUS, collection="c", documents=(DocumentInput(id="b", text="x"),))
        )
    with pytest.raises(EmbeddingModelMismatch):
        w.searcher(embedder=other).execute(SearchRequest(principal=ANONYMOUS, collection="c", query="lakes"))
    other_dimension = HashingEmbedder(dimension=64)  # same model id, other dimension: refused too
    with pytest.raises(EmbeddingModelMismatch):
        w.ingester(embedder=other_dimension).execute(
            IngestRequest(principal=ANONYMOUS, collection="c", documents=(DocumentInput(id="b", text="x"),))
        )
    assert w.registry.get_documents("c", ["b"]) == {}


def test_replacing_a_document_is_atomic_for_readers() -> None:
    """While a document flips between two versions, search sees exactly one version, never both or none."""
    w = World(chunk_size=16)
    v1 = " ".join(f"Version one sentence {i} about glaciers." for i in range(12))
    v2 = " ".join(f"Version two sentence {i} about glaciers." for i in range(12))
    ingest(w, DocumentInput(id="g", text=v1))
    seen: list[set[str]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            hits = w.search.execute(
                SearchRequest(
                    principal=ANONYMOUS,
                    collection="c",
                    query="sentence about glaciers",
                    retrieval=RetrievalOptions(top_k=50),
                )
            )
            seen.append({h.chunk.text.split()[1] for h in hits})

    t = threading.Thread(target=reader)
    t.start()
    for i in range(30):
        ingest(w, DocumentInput(id="g", text=v2 if i % 2 == 0 else v1))
    stop.set()
    t.join(30)
    assert seen
    assert all(s in ({"one"}, {"two"}) for s in seen), [s for s in seen if s not in ({"one"}, {"two"})]


def test_stale_chunks_from_an_interrupted_update_stay_invisible() -> None:
    w = World()
    ingest(w, DocumentInput(id="d", text="Current text about otters."))
    doc = w.registry.get_documents("c", ["d"])["d"]
    # a crash after writing new chunks but before switching the registry leaves orphans behind:
    from autbot.domain.model import Chunk

    orphan = Chunk(id="d#orphan#0", document_id="d", document_version="x" * 64, text="Half-written otters.", position=0)
    w.chunks.upsert("c", [orphan], w.embedder.embed([orphan.text]))
    hits = w.search.execute(
        SearchRequest(principal=ANONYMOUS, collection="c", query="otters", retrieval=RetrievalOptions(top_k=5))
    )
    assert [h.chunk.document_version for h in hits] == [doc.version]
    ingest(w, DocumentInput(id="d", text="New text about otters."))  # the next update cleans up
    assert w.chunks.count("c") == 1


def test_search_rules() -> None:
    w = World()
    ingest(
        w,
        DocumentInput(id="en", text="Rivers flow to the sea.", metadata={"lang": "en"}, title="Rivers"),
        DocumentInput(id="de", text="Flüsse fließen ins Meer.", metadata={"lang": "de"}),
    )
    hits = w.search.execute(
        SearchRequest(principal=ANONYMOUS, collection="c", query="rivers flow", retrieval=RetrievalOptions(top_k=1))
    )
    assert hits[0].chunk.document_id == "en"
    assert hits[0].chunk.metadata == {"lang": "en", "title": "Rivers"}
    only_de = w.search.execute(
        SearchRequest(
            principal=ANONYMOUS,
            collection="c",
            query="rivers",
            retrieval=RetrievalOptions(filters=parse_filters({"lang": "de"})),
        )
    )
    assert [h.chunk.document_id for h in only_de] == ["de"]
    kw = w.search.execute(
        SearchRequest(
            principal=ANONYMOUS, collection="c", query="sea", retrieval=RetrievalOptions(mode=SearchMode.KEYWORD)
        )
    )
    assert [h.chunk.document_id for h in kw] == ["en"]
    for bad in (
        SearchRequest(principal=ANONYMOUS, collection="c", query=" "),
        SearchRequest(principal=ANONYMOUS, collection="c", query="x", retrieval=RetrievalOptions(top_k=0)),
        SearchRequest(principal=ANONYMOUS, collection="c", query="x", retrieval=RetrievalOptions(top_k=101)),
        SearchRequest(principal=ANONYMOUS, collection="c", query="x", retrieval=RetrievalOptions(alpha=1.5)),
    ):
        with pytest.raises(InvalidInput):
            w.search.execute(bad)
    with pytest.raises(CollectionNotFound):
        w.search.execute(SearchRequest(principal=ANONYMOUS, collection="nope", query="x"))


def test_document_and_collection_use_cases() -> None:
    w = World()
    ingest(w, *(DocumentInput(id=f"d{i}", text=f"Document {i} text.") for i in range(5)))
    page = ListDocuments(registry=w.registry).execute(
        ListDocumentsRequest(principal=ANONYMOUS, collection="c", offset=1, limit=2)
    )
    assert ([d.id for d in page.documents], page.total) == (["d1", "d2"], 5)
    assert (
        GetDocument(registry=w.registry)
        .execute(DocumentRef(principal=ANONYMOUS, collection="c", document_id="d3"))
        .chunk_count
        == 1
    )
    DeleteDocument(registry=w.registry, chunks=w.chunks).execute(
        DocumentRef(principal=ANONYMOUS, collection="c", document_id="d3")
    )
    with pytest.raises(DocumentNotFound):
        GetDocument(registry=w.registry).execute(DocumentRef(principal=ANONYMOUS, collection="c", document_id="d3"))
    with pytest.raises(DocumentNotFound):
        DeleteDocument(registry=w.registry, chunks=w.chunks).execute(
            DocumentRef(principal=ANONYMOUS, collection="c", document_id="d3")
        )
    assert all(
        h.chunk.document_id != "d3"
        for h in w.search.execute(
            SearchRequest(
                principal=ANONYMOUS, collection="c", query="Document 3 text", retrieval=RetrievalOptions(top_k=10)
            )
        )
    )
    with pytest.raises(InvalidInput):
        ListDocuments(registry=w.registry).execute(ListDocumentsRequest(principal=ANONYMOUS, collection="c", limit=0))
    with pytest.raises(CollectionNotFound):
        ListDocuments(registry=w.registry).execute(ListDocumentsRequest(principal=ANONYMOUS, collection="zzz"))
    assert [
        c.name
        for c in ListCollections(registry=w.registry, chunks=w.chunks).execute(
            ListCollectionsRequest(principal=ANONYMOUS)
        )
    ] == ["c"]
    DeleteCollection(registry=w.registry, chunks=w.chunks).execute(CollectionRef(principal=ANONYMOUS, collection="c"))
    assert (
        ListCollections(registry=w.registry, chunks=w.chunks).execute(ListCollectionsRequest(principal=ANONYMOUS)) == []
    )
    with pytest.raises(CollectionNotFound):
        DeleteCollection(registry=w.registry, chunks=w.chunks).execute(
            CollectionRef(principal=ANONYMOUS, collection="c")
        )


def test_concurrent_updates_of_one_document_leave_it_whole() -> None:
    import time

    from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
    from autbot.adapters.registry.memory import InMemoryDocumentRegistry

    class SlowChunks(InMemoryChunkIndex):  # every write takes a while: writers interleave
        def upsert(self, *a: Any, **k: Any) -> None:
            time.sleep(0.01)
            super().upsert(*a, **k)

    class SlowRegistry(InMemoryDocumentRegistry):
        def put_documents(self, *a: Any, **k: Any) -> None:
            time.sleep(0.01)
            super().put_documents(*a, **k)

    w = World(chunk_size=16, chunks=SlowChunks(), registry=SlowRegistry())
    texts = [" ".join(f"Writer {n} sentence {i} about dunes." for i in range(8)) for n in range(6)]
    ingest(w, DocumentInput(id="dune", text=texts[0]))
    threads = [threading.Thread(target=ingest, args=(w, DocumentInput(id="dune", text=t))) for t in texts[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    doc = w.registry.get_documents("c", ["dune"])["dune"]
    hits = w.search.execute(
        SearchRequest(
            principal=ANONYMOUS, collection="c", query="sentence about dunes", retrieval=RetrievalOptions(top_k=50)
        )
    )
    assert hits, "the document is still searchable"
    assert {h.chunk.document_version for h in hits} == {doc.version}
    assert w.chunks.count("c") == doc.chunk_count


_doc_texts = st.lists(
    st.text(alphabet=st.characters(categories=("L", "N", "Zs", "P")), min_size=1, max_size=300).filter(str.strip),
    min_size=1,
    max_size=5,
)


@settings(max_examples=40, deadline=None)
@given(_doc_texts)
def test_ingestion_is_idempotent_property(texts: list[str]) -> None:
    w = World()
    docs = tuple(DocumentInput(id=f"d{i}", text=t) for i, t in enumerate(texts))
    first = ingest(w, *docs)
    chunks = w.chunks.count("c")
    again = ingest(w, *docs)
    assert [status for _, status, _ in first] == ["created"] * len(docs)
    assert again == [(doc_id, "unchanged", n) for doc_id, _, n in first]
    assert w.chunks.count("c") == chunks == sum(n for _, _, n in first)
