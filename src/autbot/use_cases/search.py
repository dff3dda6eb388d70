from __future__ import annotations

import time
from dataclasses import dataclass, replace

from autbot.domain.errors import CollectionNotFound, EmbeddingModelMismatch, InvalidInput, UnsupportedSearchMode
from autbot.domain.model import CollectionName, MetadataFilter, SearchHit, SearchMode
from autbot.ports.embedder import Embedder
from autbot.ports.vector_index import VectorIndex

MAX_TOP_K = 100
MAX_QUERY_CHARS = 4_096


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchRequest:
    collection: str
    query: str
    top_k: int = 5
    filters: tuple[MetadataFilter, ...] = ()
    mode: SearchMode = SearchMode.VECTOR
    alpha: float | None = None


class SearchChunks:
    """Find the chunks of a collection most relevant to a query, best first.

    Rules:
    - ``top_k`` is 1-100; the query is 1-4096 characters.
    - Filters are equalities on metadata (a list means any of its values); all must hold.
    - Only chunks of each document's live version are returned (see IngestDocuments).
    - ``mode`` is ``vector`` (semantic), ``keyword`` (BM25) or ``hybrid`` (both, fused with weight
      ``alpha``, 1 = pure vector); the vector index must support the mode.
    - Searching a collection built with another embedding model is refused.
    """

    def __init__(self, *, embedder: Embedder, index: VectorIndex, default_alpha: float = 0.5) -> None:
        self._embedder = embedder
        self._index = index
        self._default_alpha = default_alpha

    def execute(self, request: SearchRequest) -> list[SearchHit]:
        collection = CollectionName(request.collection).value
        query = request.query.strip() if isinstance(request.query, str) else ""
        if not query:
            raise InvalidInput("The query is empty.", field="query")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidInput(f"The query is longer than {MAX_QUERY_CHARS} characters.", field="query")
        if not 1 <= request.top_k <= MAX_TOP_K:
            raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K}.", field="top_k")
        alpha = self._default_alpha if request.alpha is None else request.alpha
        if not 0.0 <= alpha <= 1.0:
            raise InvalidInput("alpha must be between 0 and 1.", field="alpha")
        if request.mode not in self._index.search_modes:
            supported = sorted(m.value for m in self._index.search_modes)
            raise UnsupportedSearchMode(
                f"Search mode '{request.mode.value}' is not supported by this vector index "
                f"(supported: {', '.join(supported)}).",
                field="mode",
                supported=supported,
            )
        info = self._index.get_collection(collection, counts=False)
        if info is None:
            raise CollectionNotFound(f"Collection '{collection}' does not exist.", collection=collection)
        if info.embedding_model != self._embedder.model_id:
            raise EmbeddingModelMismatch(
                f"Collection '{collection}' was built with '{info.embedding_model}', "
                f"but the configured embedder is '{self._embedder.model_id}'.",
                collection=collection,
                collection_model=info.embedding_model,
                embedder_model=self._embedder.model_id,
            )
        vector = [] if request.mode is SearchMode.KEYWORD else self._embedder.embed([query])[0]
        fetch = request.top_k + max(10, request.top_k)
        live: list[SearchHit] = []
        for _ in range(4):
            hits = self._index.search(
                collection,
                vector,
                top_k=fetch,
                filters=request.filters,
                mode=request.mode,
                query_text=query,
                alpha=alpha,
            )
            live, raced = self._live(collection, hits)
            if raced:  # a document was replaced twice while we read: read again
                continue
            if len(live) >= request.top_k or len(hits) < fetch:
                break
            fetch *= 4
        return live[: request.top_k]

    def _live(self, collection: str, hits: list[SearchHit]) -> tuple[list[SearchHit], bool]:
        """Each document's hits of one version only: the live one, or (if the read raced a replacement
        and saw none of the live version's chunks) the version it replaced. Never both, never neither."""
        docs = self._index.get_documents(collection, sorted({h.chunk.document_id for h in hits}))
        seen_by_doc: dict[str, set[str]] = {}
        for h in hits:
            seen_by_doc.setdefault(h.chunk.document_id, set()).add(h.chunk.document_version)
        versions = {}
        for doc_id, doc in docs.items():
            seen = seen_by_doc.get(doc_id, set())
            if doc.version in seen:
                versions[doc_id] = doc.version
            elif doc.previous_version in seen:
                versions[doc_id] = doc.previous_version
        raced = any(
            h.chunk.document_id in docs
            and h.chunk.document_id not in versions
            and docs[h.chunk.document_id].updated_at > time.time() - 60
            for h in hits
        )
        live: list[SearchHit] = []
        for hit in hits:
            record = docs.get(hit.chunk.document_id)
            if record is None or versions.get(record.id) != hit.chunk.document_version:
                continue
            extra = {k: v for k, v in (("title", record.title), ("source", record.source)) if v is not None}
            live.append(replace(hit, chunk=replace(hit.chunk, metadata={**hit.chunk.metadata, **extra})))
        return live, raced
