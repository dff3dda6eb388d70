"""Documents and collections. Every request says who asks (``principal``): a collection outside its key's list
does not exist for it (404, decided first) and is absent from listings. A document whose access list
(``domain.access``) does not admit the caller does not exist for it either: 404 when named, absent from
listings and from the document and chunk counts (admins see and count everything)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from autbot.domain import limits
from autbot.domain.auth import Principal
from autbot.domain.errors import CollectionNotFound, DocumentNotFound, InvalidInput
from autbot.domain.model import CollectionInfo, Document, validate_document_id
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.generation_store import GenerationStore
from autbot.ports.golden_set_store import GoldenSetStore
from autbot.use_cases.generation_targets import every_index, live_index


def visible_documents(registry: DocumentRegistry, name: str, principal: Principal) -> list[Document]:
    """Every document of the collection the principal may see, read a page at a time."""
    out: list[Document] = []
    offset = 0
    while True:
        page, total = registry.list_documents(name, offset=offset, limit=limits.MAX_PAGE_SIZE)
        out.extend(d for d in page if principal.may_see(d.metadata))
        offset += len(page)
        if not page or offset >= total:
            return out


def _visible(principal: Principal, doc: Document | None, doc_id: str, name: str) -> Document:
    """The document, if it exists and the principal may see it; else 404, the same either way."""
    if doc is None or not principal.may_see(doc.metadata):
        raise DocumentNotFound(f"Document '{doc_id}' is not in collection '{name}'.", document_id=doc_id)
    return doc


def _existing(registry: DocumentRegistry, name: str) -> str:
    if registry.get_collection(name) is None:
        raise CollectionNotFound(f"Collection '{name}' does not exist.", collection=name)
    return name


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentRef:
    principal: Principal
    """Who asks: a collection outside its key's list does not exist for it (404)."""
    collection: str
    document_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDocumentsRequest:
    principal: Principal
    collection: str
    offset: int = 0
    limit: int = limits.DEFAULT_PAGE_SIZE


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentPage:
    documents: list[Document]
    total: int
    offset: int
    limit: int


class ListDocuments:
    """List a collection's documents by id, a page at a time (``limit`` 1-500, ``offset`` 0-1,000,000)."""

    def __init__(self, *, registry: DocumentRegistry) -> None:
        self._registry = registry

    def execute(self, request: ListDocumentsRequest) -> DocumentPage:
        name = request.principal.visible_collection(request.collection)
        if not 0 <= request.offset <= limits.MAX_PAGE_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {limits.MAX_PAGE_OFFSET}.", field="offset")
        if not 1 <= request.limit <= limits.MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {limits.MAX_PAGE_SIZE}.", field="limit")
        _existing(self._registry, name)
        if request.principal.access_filter() is None:  # admin: every document, paged by the registry
            docs, total = self._registry.list_documents(name, offset=request.offset, limit=request.limit)
        else:
            visible = visible_documents(self._registry, name, request.principal)
            docs, total = visible[request.offset : request.offset + request.limit], len(visible)
        return DocumentPage(documents=docs, total=total, offset=request.offset, limit=request.limit)


class GetDocument:
    """Fetch one document's record (id, title, source, metadata, version, chunk count)."""

    def __init__(self, *, registry: DocumentRegistry) -> None:
        self._registry = registry

    def execute(self, request: DocumentRef) -> Document:
        name = _existing(self._registry, request.principal.visible_collection(request.collection))
        doc_id = validate_document_id(request.document_id)
        return _visible(request.principal, self._registry.get_documents(name, [doc_id]).get(doc_id), doc_id, name)


class DeleteDocument:
    """Delete a document and its chunks. It disappears from search at once (the registry record goes
    first; search shows no chunk without a record). The chunks go even when there is no record (404):
    deleting again removes what a crash between the two steps left behind."""

    def __init__(
        self, *, registry: DocumentRegistry, chunks: ChunkIndex, generations: GenerationStore | None = None
    ) -> None:
        self._registry = registry
        self._chunks = chunks
        self._generations = generations

    def execute(self, request: DocumentRef) -> None:
        name = _existing(self._registry, request.principal.visible_collection(request.collection))
        doc_id = validate_document_id(request.document_id)
        if request.principal.access_filter() is not None:  # a document it may not see is not deleted: 404
            doc = self._registry.get_documents(name, [doc_id]).get(doc_id)
            if doc is not None:
                _visible(request.principal, doc, doc_id, name)
        existed = self._registry.delete_document(name, doc_id)
        info = self._registry.get_collection(name)
        for index in every_index(self._generations, info) if info is not None else [name]:
            self._chunks.delete(index, doc_id)  # in every generation: any of them may be switched to
        if self._generations is not None:
            self._generations.remove_sources(name, [doc_id])
        if not existed:
            raise DocumentNotFound(f"Document '{doc_id}' is not in collection '{name}'.", document_id=doc_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListCollectionsRequest:
    principal: Principal
    """Who asks: only the collections of its key's list are listed."""


class ListCollections:
    """List the collections the caller may see, by name, with their embedding model and document and chunk
    counts. A collection outside the caller's list is absent, as if it did not exist. Callers without the admin
    scope get the counts of the documents they may see (``domain.access``), never of the others."""

    def __init__(self, *, registry: DocumentRegistry, chunks: ChunkIndex) -> None:
        self._registry = registry
        self._chunks = chunks

    def execute(self, request: ListCollectionsRequest) -> list[CollectionInfo]:
        return [
            self._counted(c, request.principal)
            for c in sorted(self._registry.list_collections(), key=lambda c: c.name)
            if request.principal.may_use(c.name)
        ]

    def _counted(self, info: CollectionInfo, principal: Principal) -> CollectionInfo:
        """Admins get the stored counts; others the counts of the documents they may see (a registry scan)."""
        if principal.access_filter() is None:
            return replace(info, chunk_count=self._chunks.count(live_index(info)))
        docs = visible_documents(self._registry, info.name, principal)
        return replace(info, document_count=len(docs), chunk_count=sum(d.chunk_count for d in docs))


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionRef:
    principal: Principal
    collection: str


class DeleteCollection:
    """Delete a collection with every document and chunk in it (the record first: it vanishes at once), and its
    golden set and evaluations."""

    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        chunks: ChunkIndex,
        golden_sets: GoldenSetStore | None = None,
        generations: GenerationStore | None = None,
    ) -> None:
        self._registry = registry
        self._chunks = chunks
        self._golden_sets = golden_sets
        self._generations = generations

    def execute(self, request: CollectionRef) -> None:
        name = request.principal.visible_collection(request.collection)
        info = self._registry.get_collection(name) or CollectionInfo(name=name, embedding_model="", dimension=0)
        indexes = every_index(self._generations, info)
        existed = self._registry.remove_collection(name)
        for index in indexes:
            self._chunks.drop(index)  # also clears chunks left by a half-created collection
        if self._generations is not None:
            for generation in self._generations.generations(name):
                self._generations.remove_generation(name, generation.number)
            self._generations.remove_sources(name)
        if self._golden_sets is not None:
            self._golden_sets.remove(name)
        if not existed:
            raise CollectionNotFound(f"Collection '{name}' does not exist.", collection=name)
