from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from autbot.domain.model import CollectionInfo, Document, HealthStatus


@runtime_checkable
class DocumentRegistry(Protocol):
    """The record of collections (with the embedding model their vectors come from) and of documents
    (with the version that is live). Switching a document's record is what makes a new version
    visible, so each record is written whole: a reader sees the old record or the new one.

    It stores and reports; the rules (models never mix, versions) live in the use cases. Every method
    raises ``IndexUnavailable`` (or ``IndexTimeout``) when the store cannot answer.
    """

    def get_collection(self, name: str) -> CollectionInfo | None:
        """The collection's model and dimension (counts are not filled in), or None."""
        ...

    def add_collection(self, info: CollectionInfo) -> CollectionInfo:
        """Record the collection unless it exists, and return the stored record: when another writer
        was first, that is theirs (whose model may differ from ``info``'s)."""
        ...

    def list_collections(self) -> list[CollectionInfo]:
        """Every collection, with its document count."""
        ...

    def remove_collection(self, name: str) -> bool:
        """Remove the collection's record and all its document records; False if there was none."""
        ...

    def put_documents(self, documents: Sequence[Document]) -> None:
        """Insert or replace document records, each written whole. ``CollectionNotFound`` if a
        record names a collection that is not recorded."""
        ...

    def get_documents(self, collection: str, document_ids: Sequence[str]) -> dict[str, Document]:
        """The records that exist among ``document_ids``, by id."""
        ...

    def list_documents(self, collection: str, *, offset: int, limit: int) -> tuple[list[Document], int]:
        """A page of records ordered by id, and the total count."""
        ...

    def replaced_documents(self, collection: str, *, limit: int) -> list[Document]:
        """Up to ``limit`` records whose ``previous_version`` is set: a replacement whose old chunks may
        remain (removal not done yet, or cut short by a crash)."""
        ...

    def forget_replaced(self, documents: Sequence[Document]) -> None:
        """Clear ``previous_version`` on each stored record that still holds the given document's version
        and previous version (its old chunks are gone); a record rewritten since is left as it is."""
        ...

    def delete_document(self, collection: str, document_id: str) -> bool:
        """Remove one record; False if there was none."""
        ...

    def health(self) -> HealthStatus: ...
