"""Wiring of the fakes for unit tests."""

from __future__ import annotations

from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.adapters.vector_index.memory import InMemoryVectorIndex
from autbot.domain.model import DocumentInput
from autbot.use_cases.answer import AnswerLimits, AnswerQuestion
from autbot.use_cases.ingest import IngestDocuments, IngestRequest
from autbot.use_cases.search import SearchChunks


class World:
    def __init__(
        self, *, llm: ScriptedLanguageModel | None = None, chunk_size: int = 64, limits: AnswerLimits | None = None
    ) -> None:
        self.embedder = HashingEmbedder(dimension=128)
        self.index = InMemoryVectorIndex()
        self.splitter = LlamaIndexTextSplitter(chunk_size=chunk_size, chunk_overlap=8)
        self.llm = llm or ScriptedLanguageModel()
        self.ingest = IngestDocuments(embedder=self.embedder, index=self.index, splitter=self.splitter)
        self.search = SearchChunks(embedder=self.embedder, index=self.index)
        self.answer = AnswerQuestion(
            search=self.search, llm=self.llm, limits=limits or AnswerLimits(min_vector_score=0.0)
        )

    def add(self, collection: str, *docs: DocumentInput) -> None:
        self.ingest.execute(IngestRequest(collection=collection, documents=docs))
