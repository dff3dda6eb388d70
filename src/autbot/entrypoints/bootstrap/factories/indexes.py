"""Chunk indexes and document registries (``index.backend``): each backend provides both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.settings import Settings
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry

if TYPE_CHECKING:
    from autbot.adapters.weaviate.connection import WeaviateConnection


def chroma_chunk_index(s: Settings, data_dir: Path) -> Iterator[ChunkIndex]:
    from autbot.adapters.chunk_index.chroma import ChromaChunkIndex

    c = s.index.chroma
    yield from closing(
        ChromaChunkIndex(
            path=str(data_dir / "index"),
            hnsw_ef_search=c.hnsw_ef_search,
            hnsw_max_neighbors=c.hnsw_max_neighbors,
            hnsw_ef_construction=c.hnsw_ef_construction,
            migrate=s.storage.migrate_on_start,
        )
    )


def sqlite_registry(s: Settings, data_dir: Path) -> Iterator[DocumentRegistry]:
    from autbot.adapters.registry.sqlite import SqliteDocumentRegistry

    path = data_dir / "index" / "registry.sqlite3"
    yield from closing(SqliteDocumentRegistry(path, migrate=s.storage.migrate_on_start))


def weaviate_chunk_index(s: Settings, connection: WeaviateConnection) -> ChunkIndex:
    """On the container's shared connection (which the container closes)."""
    from autbot.adapters.weaviate.chunks import WeaviateChunkIndex
    from autbot.adapters.weaviate.schema import ChunkSchema

    w = s.index.weaviate
    schema = ChunkSchema(
        replication_factor=w.replication_factor,
        quantization=w.quantization,
        ef_construction=w.ef_construction,
        max_connections=w.max_connections,
        ef=w.ef,
    )
    return WeaviateChunkIndex(connection, schema=schema, batch_size=w.batch_size)


def weaviate_registry(s: Settings, connection: WeaviateConnection) -> DocumentRegistry:
    from autbot.adapters.weaviate.registry import WeaviateDocumentRegistry

    return WeaviateDocumentRegistry(connection, replication_factor=s.index.weaviate.replication_factor)


def memory_chunk_index() -> Iterator[ChunkIndex]:
    from autbot.adapters.chunk_index.memory import InMemoryChunkIndex

    yield from closing(InMemoryChunkIndex())


def memory_registry() -> Iterator[DocumentRegistry]:
    from autbot.adapters.registry.memory import InMemoryDocumentRegistry

    yield from closing(InMemoryDocumentRegistry())
