"""Collection visibility is decided by every use case that names a collection, from the principal its request
carries: a collection outside a key's list does not exist for it (404, before anything else) and is absent from
listings. The HTTP middleware checks scopes only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.adapters.sessions.memory import InMemorySessionStore
from autbot.domain.answers import ChatMessage
from autbot.domain.auth import Principal, Scope
from autbot.domain.errors import CollectionNotFound
from autbot.domain.model import DocumentInput
from autbot.use_cases.answer import AnswerLimits, AnswerRequest
from autbot.use_cases.chat import ChatCompletions, ChatRequest, StreamChatCompletions
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
from autbot.use_cases.ingest import IngestRequest
from autbot.use_cases.ingest_files import IngestFiles, IngestFilesRequest, UploadedFile
from autbot.use_cases.search import SearchRequest
from autbot.use_cases.sessions import (
    AskInSession,
    CreateSession,
    CreateSessionRequest,
    GetSession,
    SessionQuestion,
    SessionRef,
    StreamInSession,
)
from tests.support.fakes import World

ADMIN = frozenset(Scope)
OTHER = Principal(name="other", scopes=ADMIN, collections=frozenset({"elsewhere"}))
"""An admin key limited to collection ``elsewhere``: every scope, but ``kb`` does not exist for it."""
BAD_NAME = "Not A Collection"
"""An invalid name, outside the key's list: 404 too (the name is never even looked at)."""


def _world() -> World:
    w = World()
    w.add("kb", DocumentInput(id="d1", text="The Eiffel Tower is 330 metres tall."))
    w.add("elsewhere", DocumentInput(id="d1", text="Other words."))
    return w


def _calls(w: World, collection: str) -> dict[str, Callable[[], Any]]:
    """Every use case that names a collection, called by OTHER for ``collection``."""
    llm, limits = ScriptedLanguageModel(), AnswerLimits(min_vector_score=0.0)
    files = IngestFiles(reader=MultiFormatDocumentReader(), ingest=w.ingest)
    doc = DocumentRef(principal=OTHER, collection=collection, document_id="d1")
    return {
        "search": lambda: w.search.execute(SearchRequest(principal=OTHER, collection=collection, query="tower")),
        "answer": lambda: w.answer.execute(AnswerRequest(principal=OTHER, collection=collection, question="tall?")),
        "stream": lambda: anext(w.stream.execute(AnswerRequest(principal=OTHER, collection=collection, question="q"))),
        "ingest": lambda: w.ingest.execute(
            IngestRequest(principal=OTHER, collection=collection, documents=(DocumentInput(text="x"),))
        ),
        "ingest files": lambda: files.execute(
            IngestFilesRequest(
                principal=OTHER, collection=collection, files=(UploadedFile(data=b"x", filename="a.txt"),)
            )
        ),
        "list documents": lambda: ListDocuments(registry=w.registry).execute(
            ListDocumentsRequest(principal=OTHER, collection=collection)
        ),
        "get document": lambda: GetDocument(registry=w.registry).execute(doc),
        "delete document": lambda: DeleteDocument(registry=w.registry, chunks=w.chunks).execute(doc),
        "delete collection": lambda: DeleteCollection(registry=w.registry, chunks=w.chunks).execute(
            CollectionRef(principal=OTHER, collection=collection)
        ),
        "create session": lambda: CreateSession(store=InMemorySessionStore(), registry=w.registry).execute(
            CreateSessionRequest(principal=OTHER, collection=collection)
        ),
        "chat": lambda: ChatCompletions(search=w.search, llm=llm, chat_aliases=(), limits=limits).execute(
            ChatRequest(model=f"rag:{collection}", messages=(ChatMessage(role="user", content="q"),), principal=OTHER)
        ),
        "stream chat": lambda: anext(
            StreamChatCompletions(search=w.search, llm=llm, chat_aliases=(), limits=limits).execute(
                ChatRequest(
                    model=f"rag:{collection}", messages=(ChatMessage(role="user", content="q"),), principal=OTHER
                )
            )
        ),
    }


async def _outcome(call: Callable[[], Any]) -> Any:
    result = call()
    return await result if isinstance(result, Awaitable) else result


@pytest.mark.parametrize("name", list(_calls(World(), "kb")))
@pytest.mark.parametrize("collection", ["kb", BAD_NAME])
async def test_every_use_case_hides_a_collection_outside_the_keys_list(name: str, collection: str) -> None:
    w = _world()
    if "chat" in name and collection == BAD_NAME:
        return  # a rag: model's name is checked as a model name first (404 model_not_found)
    with pytest.raises(CollectionNotFound):
        await _outcome(_calls(w, collection)[name])
    assert w.registry.get_collection("kb") is not None  # nothing was deleted or written
    assert w.chunks.count("kb") > 0


async def test_the_same_key_uses_its_own_collection() -> None:
    w = _world()
    calls = _calls(w, "elsewhere")
    for name in ("search", "answer", "list documents", "get document", "create session", "chat"):
        await _outcome(calls[name])


def test_listings_show_only_the_keys_collections() -> None:
    w = _world()
    listing = ListCollections(registry=w.registry, chunks=w.chunks)
    assert [c.name for c in listing.execute(ListCollectionsRequest(principal=OTHER))] == ["elsewhere"]
    everyone = Principal(name="all", scopes=ADMIN)
    assert [c.name for c in listing.execute(ListCollectionsRequest(principal=everyone))] == ["elsewhere", "kb"]


async def test_a_session_over_a_collection_the_key_no_longer_sees_does_not_show_it() -> None:
    w, store = _world(), InMemorySessionStore()
    before = Principal(name="other", scopes=ADMIN)
    session = await CreateSession(store=store, registry=w.registry).execute(
        CreateSessionRequest(principal=before, collection="kb")
    )
    ref = SessionRef(principal=OTHER, session_id=session.id)  # the same key name, its list narrowed since
    question = SessionQuestion(principal=OTHER, session_id=session.id, question="How tall?")
    with pytest.raises(CollectionNotFound):
        GetSession(store=store).execute(ref)
    with pytest.raises(CollectionNotFound):
        await AskInSession(store=store, search=w.search, llm=ScriptedLanguageModel()).execute(question)
    with pytest.raises(CollectionNotFound):
        await anext(StreamInSession(store=store, search=w.search, llm=ScriptedLanguageModel()).execute(question))
