"""Wiring of the fakes for unit tests: every use case over in-memory adapters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
from autbot.adapters.embedders.catalogue import StaticEmbedderCatalogue
from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.adapters.registry.memory import InMemoryDocumentRegistry
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain.auth import ANONYMOUS
from autbot.domain.model import DocumentInput, SearchMode
from autbot.domain.retrieval import RetrievalOptions
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import Embedder
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
