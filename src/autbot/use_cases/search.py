from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from autbot.domain import limits
from autbot.domain.access import AccessFilter, public_metadata
from autbot.domain.auth import Principal
from autbot.domain.errors import CollectionNotFound, UnsupportedSearchMode
from autbot.domain.model import DEFAULT_FUSION, ChunkQuery, CollectionInfo, Document, Fusion, SearchHit, SearchMode
from autbot.domain.retrieval import RetrievalOptions, chunk_query, question_text
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import EmbedderCatalogue
from autbot.ports.reranker import Reranker
from autbot.use_cases.collection_models import collection_embedder
from autbot.use_cases.generation_targets import live_index

RACE_WINDOW_S = 60.0
"""A document updated this recently may have raced a read: the read is retried rather than lose it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchRequest:
    principal: Principal
    """Who asks: a collection outside its key's list does not exist for it."""
    collection: str
    query: str
    retrieval: RetrievalOptions = field(default_factory=RetrievalOptions)
    """Mode (default vector), ``top_k`` (default ``limits.DEFAULT_SEARCH_TOP_K``), filters, alpha, score floor."""
    rerank: bool = False
    """Re-order the best ``limits.RERANK_CANDIDATES`` hits with the configured reranker, keep ``top_k``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchLimits:
    default_top_k: int = limits.DEFAULT_SEARCH_TOP_K
    default_alpha: float = limits.DEFAULT_HYBRID_ALPHA
    fusion: Fusion = DEFAULT_FUSION
    """How hybrid search merges its rankings (``search.fusion``)."""


class SearchChunks:
    """Find the chunks of a collection most relevant to a query, best first.

    Rules:
    - ``top_k`` is 1-``limits.MAX_TOP_K`` (default ``limits.DEFAULT_SEARCH_TOP_K``); the query is
      1-``limits.MAX_QUERY_CHARS`` characters.
    - Filters are equalities on metadata (a list means any of its values); all must hold.
    - Only chunks of each document's live version are returned (see IngestDocuments): never those of a
      version it replaced, even while (or, after a crash, until) they are being removed.
    - ``mode`` is ``vector`` (semantic), ``keyword`` (BM25) or ``hybrid`` (both, fused with weight
      ``alpha``, 1 = pure vector, by the configured ``search.fusion``: ``domain.fusion``); the configured
      index must support the mode.
    - ``min_vector_score`` (optional) is a relevance floor: in vector and hybrid modes, chunks less similar
      to the query are not returned, on the keyword side of hybrid too.
    - ``rerank`` re-orders the best ``limits.RERANK_CANDIDATES`` hits with the configured reranker.
    - A collection is searched with its own embedding model (the query with that model's query prefix);
      one this server does not serve is refused (``embedding_model_mismatch``).
    - A collection outside the key's list does not exist for it (404).
    - Only chunks of documents the caller may see (``domain.access``: open ones, those whose access list names
      one of its groups or its subject; admin sees all) are searched, inside the index's own query.
    """

    def __init__(
        self,
        *,
        embedders: EmbedderCatalogue,
        chunks: ChunkIndex,
        registry: DocumentRegistry,
        limits: SearchLimits | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self._embedders = embedders
        self._chunks = chunks
        self._registry = registry
        self._limits = limits or SearchLimits()
        self._reranker = reranker

    def execute(self, request: SearchRequest) -> list[SearchHit]:
        collection = request.principal.visible_collection(request.collection)
        text = question_text(request.query, field="query")
        access = request.principal.access_filter()
        return self.retrieve(collection, text, request.retrieval, access=access, rerank=request.rerank)

    def retrieve(
        self,
        collection: str,
        text: str,
        options: RetrievalOptions,
        *,
        access: AccessFilter | None,
        rerank: bool = False,
        generation: CollectionInfo | None = None,
    ) -> list[SearchHit]:
        """The search itself, for a collection the caller may see and a checked question (``question_text``):
        ``execute`` and the answer use cases share it. ``access`` (``Principal.access_filter``) goes into the
        index's query: chunks the caller may not see are never read, so ``top_k`` stays full. ``generation`` (the
        collection's record as one generation would make it) searches that generation instead of the live one."""
        query = chunk_query(
            text,
            options,
            top_k=self._limits.default_top_k,
            alpha=self._limits.default_alpha,
            fusion=self._limits.fusion,
            access=access,
        )
        top_k = query.top_k
        if query.mode not in self._chunks.search_modes:
            supported = sorted(m.value for m in self._chunks.search_modes)
            raise UnsupportedSearchMode(
                f"Search mode '{query.mode.value}' is not supported by this vector index "
                f"(supported: {', '.join(supported)}).",
                field="mode",
                supported=supported,
            )
        info = generation or self._registry.get_collection(collection)
        if info is None:
            raise CollectionNotFound(f"Collection '{collection}' does not exist.", collection=collection)
        embedder = collection_embedder(self._embedders, info, "queries")
        if query.mode is not SearchMode.KEYWORD:
            query = replace(query, vector=embedder.embed([query.text])[0])
        want = max(top_k, limits.RERANK_CANDIDATES) if rerank and self._reranker else top_k
        live = self._search(info, query, want)
        if rerank and self._reranker is not None:
            return self._reranker.rerank(query.text, live, top_k)
        return live

    def _search(self, info: CollectionInfo, query: ChunkQuery, top_k: int) -> list[SearchHit]:
        collection = info.name
        fetch = top_k + max(10, top_k)  # over-fetch: some hits may be of a replaced version
        live: list[tuple[SearchHit, Document]] = []
        for _ in range(4):
            hits = self._chunks.search(live_index(info), replace(query, top_k=fetch))
            live, raced = self._live(collection, hits)
            if raced:  # a document was replaced twice while we read: read again
                continue
            if len(live) >= top_k or len(hits) < fetch:
                break
            fetch *= 4
        return [_with_document_fields(hit, record) for hit, record in live[:top_k]]

    def _live(self, collection: str, hits: list[SearchHit]) -> tuple[list[tuple[SearchHit, Document]], bool]:
        """The hits of each document's live version (the registry's record), and whether the read may have
        raced a replacement: it saw a recently replaced document's chunks, none of them live (the new
        version's chunks may have landed after the index was read), so reading again may find them.
        A replaced version is never shown, not even then: after a crash its chunks may linger."""
        docs = self._registry.get_documents(collection, sorted({h.chunk.document_id for h in hits}))
        live = [(h, docs[h.chunk.document_id]) for h in hits if _is_live(h, docs)]
        shown = {h.chunk.document_id for h, _ in live}
        recent = time.time() - RACE_WINDOW_S
        raced = any(
            (record := docs.get(h.chunk.document_id)) is not None
            and record.id not in shown
            and record.updated_at > recent
            for h in hits
        )
        return live, raced


def _with_document_fields(hit: SearchHit, record: Document) -> SearchHit:
    """The hit with its document's title and source in its metadata."""
    extra = {k: v for k, v in (("title", record.title), ("source", record.source)) if v is not None}
    shown = public_metadata(hit.chunk.metadata)
    return replace(hit, chunk=replace(hit.chunk, metadata={**shown, **extra}))


def _is_live(hit: SearchHit, docs: dict[str, Document]) -> bool:
    record = docs.get(hit.chunk.document_id)
    return record is not None and record.version == hit.chunk.document_version
