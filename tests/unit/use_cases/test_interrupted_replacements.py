"""A replacement cut short between the registry's switch and the old chunks' removal (a crash, a store that
fails): only the live version is ever visible, and what is left is finished on start or by the next write.

The in-process half: a chunk index whose delete fails stands in for the crash. The real ``kill -9`` of a
real process at that point is in ``tests/integration/test_interrupted_commit.py``."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import IndexUnavailable
from autbot.domain.model import Chunk, DocumentInput, SearchMode
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.documents import DeleteDocument, DocumentRef, ListCollections, ListCollectionsRequest
from autbot.use_cases.replacements import FinishReplacements
from autbot.use_cases.search import SearchRequest
from tests.support.fakes import World

OLD = "The vault code is SWORDFISH. Otters guard the vault."
NEW = "The vault code was removed. Otters guard the vault."


class DeleteFails(InMemoryChunkIndex):
    """Deletes fail while ``failing`` is set: the registry has switched, the old chunks stay."""

    failing = False

    def delete(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        if self.failing:
            raise IndexUnavailable("the store went away mid-commit")
        super().delete(collection, document_id, keep_version=keep_version)


def interrupted() -> tuple[World, DeleteFails]:
    chunks = DeleteFails()
    w = World(chunks=chunks)
    w.add("c", DocumentInput(id="vault", text=OLD))
    chunks.failing = True
    with pytest.raises(IndexUnavailable):
        w.add("c", DocumentInput(id="vault", text=NEW))
    chunks.failing = False
    return w, chunks


def found(w: World, query: str, mode: SearchMode = SearchMode.KEYWORD) -> list[str]:
    hits = w.search.execute(
        SearchRequest(principal=ANONYMOUS, collection="c", query=query, retrieval=RetrievalOptions(mode=mode, top_k=10))
    )
    return [h.chunk.text for h in hits]


def counts(w: World) -> tuple[int | None, int | None]:
    [info] = ListCollections(registry=w.registry, chunks=w.chunks).execute(ListCollectionsRequest(principal=ANONYMOUS))
    return info.document_count, info.chunk_count


def test_a_replaced_version_is_never_visible_even_when_its_chunks_remain() -> None:
    w, _ = interrupted()
    record = w.registry.get_documents("c", ["vault"])["vault"]
    assert record.previous_version is not None  # the replacement is unfinished, and the record says so
    for mode in SearchMode:
        assert not any("SWORDFISH" in t for t in found(w, "vault code SWORDFISH", mode)), mode
    assert found(w, "SWORDFISH") == []  # only the old version holds the word: nothing, not the old text
    assert found(w, "vault code removed") == [NEW]
    assert counts(w) == (1, 2)  # the old chunk is still stored: finished below


def test_finishing_on_start_removes_what_the_crash_left() -> None:
    w, chunks = interrupted()
    done = FinishReplacements(chunks=chunks, registry=w.registry, locks=w.locks).execute()
    assert (done.documents, done.collections) == (1, 1)
    assert counts(w) == (1, 1)
    assert w.registry.get_documents("c", ["vault"])["vault"].previous_version is None
    assert w.registry.replaced_documents("c", limit=10) == []
    again = FinishReplacements(chunks=chunks, registry=w.registry, locks=w.locks).execute()
    assert again.documents == 0


def test_the_next_write_of_the_document_finishes_it_too() -> None:
    w, _ = interrupted()
    w.add("c", DocumentInput(id="vault", text=NEW))  # unchanged content: still finishes the replacement
    assert counts(w) == (1, 1)
    assert w.registry.replaced_documents("c", limit=10) == []


def test_a_finished_replacement_leaves_no_mark() -> None:
    w = World()
    w.add("c", DocumentInput(id="vault", text=OLD))
    w.add("c", DocumentInput(id="vault", text=NEW))
    assert w.registry.get_documents("c", ["vault"])["vault"].previous_version is None
    assert counts(w) == (1, 1)


def test_deleting_again_removes_chunks_a_crash_left_without_a_record() -> None:
    w = World()
    w.add("c", DocumentInput(id="d", text=OLD))
    w.registry.delete_document("c", "d")  # a crash after the record went, before the chunks did
    assert counts(w) == (0, 1)
    from autbot.domain.errors import DocumentNotFound

    with pytest.raises(DocumentNotFound):
        DeleteDocument(registry=w.registry, chunks=w.chunks).execute(
            DocumentRef(principal=ANONYMOUS, collection="c", document_id="d")
        )
    assert counts(w) == (0, 0)


def test_a_store_that_refuses_leaves_no_collection_record() -> None:
    class Refuses(InMemoryChunkIndex):
        def ensure(self, collection: str) -> None:
            raise IndexUnavailable("down")

        def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
            raise AssertionError("never reached")

    w = World(chunks=Refuses())
    with pytest.raises(IndexUnavailable):
        w.add("new", DocumentInput(id="d", text=OLD))
    assert w.registry.list_collections() == []
