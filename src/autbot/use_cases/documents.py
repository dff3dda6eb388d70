from __future__ import annotations

from dataclasses import dataclass

from autbot.domain.errors import CollectionNotFound, DocumentNotFound, InvalidInput
from autbot.domain.model import CollectionInfo, CollectionName, Document, validate_document_id
from autbot.ports.vector_index import VectorIndex


def _existing(index: VectorIndex, collection: str) -> str:
    name = CollectionName(collection).value
    if index.get_collection(name, counts=False) is None:
        raise CollectionNotFound(f"Collection '{name}' does not exist.", collection=name)
    return name


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentRef:
    collection: str
    document_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDocumentsRequest:
    collection: str
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentPage:
    documents: list[Document]
    total: int
    offset: int
    limit: int


class ListDocuments:
    """List a collection's documents by id, a page at a time (``limit`` 1-500)."""

    def __init__(self, *, index: VectorIndex) -> None:
        self._index = index

    def execute(self, request: ListDocumentsRequest) -> DocumentPage:
        if request.offset < 0:
            raise InvalidInput("offset must be 0 or more.", field="offset")
        if not 1 <= request.limit <= 500:
            raise InvalidInput("limit must be between 1 and 500.", field="limit")
        name = _existing(self._index, request.collection)
        docs, total = self._index.list_documents(name, offset=request.offset, limit=request.limit)
        return DocumentPage(documents=docs, total=total, offset=request.offset, limit=request.limit)


class GetDocument:
    """Fetch one document's record (id, title, source, metadata, version, chunk count)."""

    def __init__(self, *, index: VectorIndex) -> None:
        self._index = index

    def execute(self, request: DocumentRef) -> Document:
        name = _existing(self._index, request.collection)
        doc_id = validate_document_id(request.document_id)
        doc = self._index.get_documents(name, [doc_id]).get(doc_id)
        if doc is None:
            raise DocumentNotFound(f"Document '{doc_id}' is not in collection '{name}'.", document_id=doc_id)
        return doc


class DeleteDocument:
    """Delete a document and its chunks. It disappears from search at once (registry first)."""

    def __init__(self, *, index: VectorIndex) -> None:
        self._index = index

    def execute(self, request: DocumentRef) -> None:
        name = _existing(self._index, request.collection)
        doc_id = validate_document_id(request.document_id)
        if not self._index.delete_document(name, doc_id):
            raise DocumentNotFound(f"Document '{doc_id}' is not in collection '{name}'.", document_id=doc_id)
        self._index.delete_chunks(name, doc_id)


class ListCollections:
    """List all collections with their embedding model and counts."""

    def __init__(self, *, index: VectorIndex) -> None:
        self._index = index

    def execute(self) -> list[CollectionInfo]:
        return sorted(self._index.list_collections(), key=lambda c: c.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionRef:
    collection: str


class DeleteCollection:
    """Delete a collection with every document and chunk in it."""

    def __init__(self, *, index: VectorIndex) -> None:
        self._index = index

    def execute(self, request: CollectionRef) -> None:
        name = CollectionName(request.collection).value
        if not self._index.delete_collection(name):
            raise CollectionNotFound(f"Collection '{name}' does not exist.", collection=name)
