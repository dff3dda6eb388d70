from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from autbot.domain.model import (
    Chunk,
    CollectionInfo,
    Document,
    HealthStatus,
    MetadataFilter,
    SearchHit,
    SearchMode,
)


@runtime_checkable
class VectorIndex(Protocol):
    """Stores chunks with their vectors and a registry of documents, per collection.

    Every method raises ``IndexUnavailable`` (or ``IndexTimeout``) when the store cannot answer.
    Chunk ids are unique within a collection; writing an existing id replaces it. The document
    registry says which version of each document is live: use cases show only chunks whose
    ``document_version`` matches it, which makes replacing a document atomic for readers.
    """

    @property
    def search_modes(self) -> frozenset[SearchMode]: ...

    def ensure_collection(self, collection: str, *, embedding_model: str, dimension: int) -> CollectionInfo:
        """Create the collection if missing. Raises ``EmbeddingModelMismatch`` if it exists with
        another model or dimension."""
        ...

    def get_collection(self, collection: str, *, counts: bool = True) -> CollectionInfo | None:
        """The collection's model and dimension; its document and chunk counts only if ``counts``
        (hot paths skip them: on a cluster they cost a scatter-gather)."""
        ...

    def list_collections(self) -> list[CollectionInfo]: ...

    def delete_collection(self, collection: str) -> bool:
        """Remove a collection with all its documents and chunks; False if it did not exist."""
        ...

    def upsert_chunks(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Write all chunks or raise; a partial failure raises ``IndexWriteFailed`` naming the ids."""
        ...

    def delete_chunks(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        """Delete a document's chunks, all of them or all but one version's."""
        ...

    def search(
        self,
        collection: str,
        vector: Sequence[float],
        *,
        top_k: int,
        filters: tuple[MetadataFilter, ...] = (),
        mode: SearchMode = SearchMode.VECTOR,
        query_text: str = "",
        alpha: float = 0.5,
    ) -> list[SearchHit]:
        """The best ``top_k`` chunks, best first; scores are higher-is-better."""
        ...

    def count_chunks(self, collection: str) -> int: ...

    def put_documents(self, documents: Sequence[Document]) -> None:
        """Insert or replace registry records, each the switch that makes its version live. Each record
        is written whole (a reader sees the old record or the new one)."""
        ...

    def get_documents(self, collection: str, document_ids: Sequence[str]) -> dict[str, Document]: ...

    def list_documents(self, collection: str, *, offset: int, limit: int) -> tuple[list[Document], int]:
        """A page of documents ordered by id, and the total count."""
        ...

    def delete_document(self, collection: str, document_id: str) -> bool:
        """Remove the registry record (chunks are removed with ``delete_chunks``)."""
        ...

    def health(self) -> HealthStatus: ...

    def close(self) -> None: ...
