"""Every storage adapter, built the same way for the contract suites: the fakes, the embedded store and
a real Weaviate. Real-adapter parameters carry their markers, so ``-m "not slow"`` needs no server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.domain.ids import chunk_id
from autbot.domain.model import Chunk, CollectionInfo, Document
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry

EMB = HashingEmbedder(dimension=64)

WEAVIATE = [pytest.mark.slow, pytest.mark.weaviate]
BACKENDS = [pytest.param("memory"), pytest.param("chroma"), pytest.param("weaviate", marks=WEAVIATE)]
"""Chunk index and registry pairs as the container wires them: memory+memory, Chroma+SQLite, Weaviate."""


def chunk_index_class(backend: str) -> type[Any]:
    if backend == "memory":
        from autbot.adapters.chunk_index.memory import InMemoryChunkIndex

        return InMemoryChunkIndex
    if backend == "chroma":
        from autbot.adapters.chunk_index.chroma import ChromaChunkIndex

        return ChromaChunkIndex
    from autbot.adapters.weaviate.chunks import WeaviateChunkIndex

    return WeaviateChunkIndex


@contextmanager
def storage(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ChunkIndex, DocumentRegistry]]:
    """A chunk index and a document registry of one backend, closed afterwards."""
    closers: list[Any] = []
    chunks: Any
    registry: Any
    if backend == "memory":
        from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
        from autbot.adapters.registry.memory import InMemoryDocumentRegistry

        chunks, registry = InMemoryChunkIndex(), InMemoryDocumentRegistry()
    elif backend == "chroma":
        from autbot.adapters.chunk_index.chroma import ChromaChunkIndex
        from autbot.adapters.registry.sqlite import SqliteDocumentRegistry

        chunks = ChromaChunkIndex(path=str(tmp_path / "index"))
        registry = SqliteDocumentRegistry(tmp_path / "index" / "registry.sqlite3")
        closers += [chunks, registry]
    else:
        from autbot.adapters.weaviate.chunks import WeaviateChunkIndex
        from autbot.adapters.weaviate.connection import WeaviateConnection
        from autbot.adapters.weaviate.registry import WeaviateDocumentRegistry

        node = request.getfixturevalue("weaviate_node")
        connection = WeaviateConnection(**node.settings())
        chunks, registry = WeaviateChunkIndex(connection), WeaviateDocumentRegistry(connection)
        closers.append(connection)
    try:
        yield chunks, registry
    finally:
        for c in closers:
            c.close()


def chunks_for(doc: str, version: str, texts: list[str], **meta: Any) -> list[Chunk]:
    return [
        Chunk(
            id=chunk_id(doc, version, i), document_id=doc, document_version=version, text=t, position=i, metadata=meta
        )
        for i, t in enumerate(texts)
    ]


def record(
    collection: str, doc: str, version: str, *, chunks: int = 1, previous: str | None = None, **meta: Any
) -> Document:
    now = time.time()
    return Document(
        id=doc,
        collection=collection,
        title=f"T {doc}",
        source=None,
        metadata=meta,
        version=version,
        chunk_count=chunks,
        embedding_model=EMB.model_id,
        created_at=now,
        updated_at=now,
        previous_version=previous,
    )


def collection_info(name: str, model: str = EMB.model_id, dimension: int = EMB.dimension) -> CollectionInfo:
    return CollectionInfo(name=name, embedding_model=model, dimension=dimension)
