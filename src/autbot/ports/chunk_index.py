from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from autbot.domain.model import Chunk, ChunkQuery, HealthStatus, SearchHit, SearchMode


@runtime_checkable
class ChunkIndex(Protocol):
    """Stores chunks with their vectors, per collection, and finds the nearest ones.

    It stores and reports; it decides nothing about documents (which version is live is the
    registry's record, read by the use cases). Chunk ids are unique within a collection; writing an
    existing id replaces it. Every method raises ``IndexUnavailable`` (or ``IndexTimeout``) when the
    store cannot answer.
    """

    search_modes: frozenset[SearchMode]
    """The search modes this index answers; others raise ``UnsupportedSearchMode``."""

    def ensure(self, collection: str) -> None:
        """Create the collection's chunk storage if missing (idempotent, safe across replicas)."""
        ...

    def drop(self, collection: str) -> None:
        """Remove the collection's chunks and storage; nothing happens if it does not exist."""
        ...

    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Write all chunks or raise: ``CollectionNotFound`` if ``ensure`` was never called, or
        ``IndexWriteFailed`` whose ``details["failed_ids"]`` lists the chunk ids not stored."""
        ...

    def delete(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        """Delete a document's chunks: all of them, or all but one version's."""
        ...

    def search(self, collection: str, query: ChunkQuery) -> list[SearchHit]:
        """The best ``query.top_k`` chunks, best first; scores are higher-is-better. An unknown
        collection has no chunks (empty list)."""
        ...

    def count(self, collection: str) -> int:
        """Chunks stored in the collection (0 if it does not exist)."""
        ...

    def health(self) -> HealthStatus: ...
