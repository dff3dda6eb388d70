"""A small knowledge base in memory, for the quality checks: ONNX MiniLM, the production splitter."""

from __future__ import annotations

from typing import Any


def in_memory(embedder: Any, docs: dict[str, str], collection: str = "kb") -> Any:
    """``docs`` (id to text) ingested into an in-memory index; the ``SearchChunks`` use case over it."""
    from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
    from autbot.adapters.embedders.catalogue import StaticEmbedderCatalogue
    from autbot.adapters.locks.in_process import InProcessDocumentLocks
    from autbot.adapters.registry.memory import InMemoryDocumentRegistry
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import DocumentInput
    from autbot.use_cases.ingest import IngestDocuments, IngestRequest
    from autbot.use_cases.search import SearchChunks

    chunks, registry = InMemoryChunkIndex(), InMemoryDocumentRegistry()
    IngestDocuments(
        embedders=StaticEmbedderCatalogue.single(embedder),
        chunks=chunks,
        registry=registry,
        splitter=LlamaIndexTextSplitter(),
        locks=InProcessDocumentLocks(),
    ).execute(
        IngestRequest(
            principal=ANONYMOUS,
            collection=collection,
            documents=tuple(DocumentInput(id=k, text=v) for k, v in docs.items()),
        )
    )
    return SearchChunks(embedders=StaticEmbedderCatalogue.single(embedder), chunks=chunks, registry=registry)
