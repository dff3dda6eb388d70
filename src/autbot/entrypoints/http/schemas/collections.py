"""msgspec Structs for the HTTP edge, and their translation to and from domain types."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from autbot.domain import limits
from autbot.domain.access import AccessList, access_of, parse_access, public_metadata
from autbot.domain.answers import Citation
from autbot.domain.model import CollectionInfo, Document, IngestOutcome, SearchHit, SearchMode, parse_filters
from autbot.domain.retrieval import RetrievalOptions

Scalar = str | int | float | bool
TopK = Annotated[int, Meta(ge=1, le=limits.MAX_TOP_K)]
Query = Annotated[str, Meta(min_length=1, max_length=limits.MAX_QUERY_CHARS)]
Alpha = Annotated[float, Meta(ge=0, le=1)]


def _at_most_keys(n: int) -> Meta:
    """An object of at most ``n`` keys: msgspec checks ``max_length``; Litestar's OpenAPI document shows
    ``maxProperties`` only when given as extra schema."""
    return Meta(max_length=n, extra_json_schema={"extra": {"maxProperties": n}})


MetadataScalar = Annotated[str, Meta(max_length=limits.MAX_METADATA_STRING_CHARS)] | int | float | bool
MetadataIn = Annotated[dict[str, MetadataScalar], _at_most_keys(limits.MAX_METADATA_KEYS)]
"""Flat metadata (the domain also checks keys, 64-bit integers, finite numbers and the serialised size)."""
FilterList = Annotated[list[MetadataScalar], Meta(min_length=1, max_length=limits.MAX_FILTER_VALUES)]
Filters = Annotated[dict[str, MetadataScalar | FilterList], _at_most_keys(limits.MAX_FILTER_KEYS)]
"""Equality filters on metadata keys; a list means any of its values."""


Mode = Literal["vector", "hybrid", "keyword"]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=False):
    pass


class RetrievalFields(msgspec.Struct, kw_only=True):
    """How a request retrieves: the fields ``/search``, ``/query``, session messages and the ``autbot`` extension
    of chat completions share, read as the domain's ``RetrievalOptions``."""

    top_k: TopK | None = None
    filters: Filters | None = None
    mode: Mode = limits.DEFAULT_ANSWER_MODE
    alpha: Alpha | None = None

    def options(self) -> RetrievalOptions:
        return RetrievalOptions(
            mode=SearchMode(self.mode), top_k=self.top_k, filters=parse_filters(self.filters), alpha=self.alpha
        )


AccessName = Annotated[str, Meta(min_length=1, max_length=limits.MAX_ACCESS_NAME_CHARS)]
AccessNames = Annotated[list[AccessName], Meta(max_length=limits.MAX_ACCESS_ENTRIES)]


class AccessIn(_Body):
    """A document's access list (``domain.access``): who, besides admins, may see it."""

    groups: AccessNames = []
    subjects: AccessNames = []

    def access(self) -> AccessList | None:
        return parse_access({"groups": self.groups, "subjects": self.subjects})


class DocumentIn(_Body):
    text: str
    id: str | None = None
    title: Annotated[str, Meta(max_length=limits.MAX_TITLE_CHARS)] | None = None
    source: Annotated[str, Meta(max_length=limits.MAX_SOURCE_CHARS)] | None = None
    metadata: MetadataIn = {}
    access: AccessIn | None = None
    """None: whoever may see the collection may see the document."""


class IngestBody(_Body):
    documents: Annotated[list[DocumentIn], Meta(min_length=1)]
    embedder: Annotated[str, Meta(min_length=1, max_length=limits.MAX_MODEL_NAME_CHARS)] | None = None
    """The embedding model of a collection this request creates (a name from ``GET /v1/models``, kind
    ``embedding``); else the server's default. For an existing collection, if given, it must be its own."""


class IngestedDocument(_Body):
    id: str
    status: Literal["created", "updated", "unchanged"]
    chunks: int


class IngestResponse(_Body):
    documents: list[IngestedDocument]


class SearchBody(_Body, RetrievalFields, kw_only=True):
    query: Query
    top_k: TopK = limits.DEFAULT_SEARCH_TOP_K
    mode: Mode = limits.DEFAULT_SEARCH_MODE


class SearchResult(_Body):
    document_id: str
    chunk_id: str
    text: str
    score: float
    metadata: dict[str, Any]


class SearchResponse(_Body):
    results: list[SearchResult]


class QueryBody(_Body, RetrievalFields, kw_only=True):
    question: Query
    stream: bool = False
    max_tokens: Annotated[int, Meta(ge=1)] | None = None
    temperature: Annotated[float, Meta(ge=0, le=limits.MAX_TEMPERATURE)] | None = None


class CitationOut(_Body):
    n: int
    document_id: str
    chunk_id: str
    text: str
    score: float
    metadata: dict[str, Any]


class UsageOut(_Body):
    prompt_tokens: int
    completion_tokens: int


class QueryResponse(_Body):
    answer: str
    citations: list[CitationOut]
    usage: UsageOut
    model: str


class DocumentOut(_Body):
    id: str
    title: str | None
    source: str | None
    metadata: dict[str, Any]
    access: AccessIn | None
    version: str
    chunks: int
    embedding_model: str
    created_at: float
    updated_at: float


class DocumentPageOut(_Body):
    documents: list[DocumentOut]
    total: int
    offset: int
    limit: int


class CollectionOut(_Body):
    name: str
    embedding_model: str
    dimension: int
    documents: int
    chunks: int


class CollectionsOut(_Body):
    collections: list[CollectionOut]


class CheckOut(_Body, omit_defaults=True):
    ok: bool
    detail: str | None = None
    """Only for callers with the admin scope: paths, URLs and versions are not for everyone."""


class ReadyOut(_Body):
    status: Literal["ready", "unavailable", "shutting_down"]
    checks: dict[str, CheckOut]


def hit_out(hit: SearchHit) -> SearchResult:
    c = hit.chunk
    return SearchResult(
        document_id=c.document_id,
        chunk_id=c.id,
        text=c.text,
        score=round(hit.score, 6),
        metadata=public_metadata(c.metadata),
    )


def citation_out(c: Citation) -> CitationOut:
    h = hit_out(c.hit)
    return CitationOut(
        n=c.n, document_id=h.document_id, chunk_id=h.chunk_id, text=h.text, score=h.score, metadata=h.metadata
    )


def document_out(d: Document) -> DocumentOut:
    return DocumentOut(
        id=d.id,
        title=d.title,
        source=d.source,
        metadata=public_metadata(d.metadata),
        access=_access_out(access_of(d.metadata)),
        version=d.version,
        chunks=d.chunk_count,
        embedding_model=d.embedding_model,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


def _access_out(access: AccessList | None) -> AccessIn | None:
    return None if access is None else AccessIn(groups=sorted(access.groups), subjects=sorted(access.subjects))


def collection_out(c: CollectionInfo) -> CollectionOut:
    return CollectionOut(
        name=c.name,
        embedding_model=c.embedding_model,
        dimension=c.dimension,
        documents=c.document_count or 0,
        chunks=c.chunk_count or 0,
    )


def outcome_out(o: IngestOutcome) -> IngestedDocument:
    return IngestedDocument(id=o.document_id, status=o.status, chunks=o.chunks)
