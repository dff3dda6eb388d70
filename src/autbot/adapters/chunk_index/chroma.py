"""The embedded default chunk index: Chroma (``PersistentClient``, cosine HNSW) in the data directory,
with a SQLite FTS5 keyword index beside it (``keywords.py``) for keyword and hybrid search.

Single-process: a lock file refuses a second process on the same directory (Chroma's files are not
safe to share). The document registry beside it is ``SqliteDocumentRegistry``.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from loguru import logger

from autbot.adapters.chunk_index.files import ChromaLayout, WritePause, exclusive
from autbot.adapters.chunk_index.keywords import SqliteKeywordIndex, chunk_from_metadata
from autbot.adapters.chunk_index.rwlock import ReadWriteLock
from autbot.adapters.chunk_index.where import access_where, where_clause
from autbot.domain.errors import (
    AutbotError,
    CollectionNotFound,
    IndexUnavailable,
    IndexWriteFailed,
    UnsupportedSearchMode,
    UpstreamRejected,
)
from autbot.domain.fusion import above_floor, cosine, fuse
from autbot.domain.model import Chunk, ChunkQuery, HealthStatus, MetadataFilter, SearchHit, SearchMode
from autbot.use_cases.migrations import open_current

T = TypeVar("T")


WRITE_GROUP = 32
"""Chunks written under one hold of the write lock: a long batch lets waiting searches in between its groups."""


class ChromaChunkIndex:
    """Vector search in Chroma, keyword (BM25) search in SQLite FTS5, hybrid fused by ``domain.fusion``."""

    search_modes = frozenset(SearchMode)

    def __init__(
        self,
        *,
        path: str,
        hnsw_ef_search: int = 128,
        hnsw_max_neighbors: int = 32,
        hnsw_ef_construction: int = 200,
        migrate: bool = True,
    ) -> None:
        self._path = Path(path)
        self._path.mkdir(parents=True, exist_ok=True)
        self._lock_file = exclusive(self._path / "autbot.lock")
        self._pause = WritePause(self._path)
        try:
            open_current(ChromaLayout(self._path), migrate=migrate)
            import chromadb
            from chromadb.config import Settings

            self._client = chromadb.PersistentClient(
                path=str(self._path / "chroma"),
                settings=Settings(anonymized_telemetry=False, allow_reset=False),
            )
            self._keywords = SqliteKeywordIndex(self._path / "keywords.sqlite3", migrate=migrate)
        except AutbotError:
            self._release()
            raise
        except Exception as e:
            self._release()
            raise IndexUnavailable(f"Could not open the embedded vector store at {self._path}: {e}") from e
        self._hnsw = {
            "space": "cosine",
            "ef_search": hnsw_ef_search,
            "max_neighbors": hnsw_max_neighbors,
            "ef_construction": hnsw_ef_construction,
        }
        self._cache: dict[str, Any] = {}
        self._rw = ReadWriteLock()
        """Chroma's embedded engine can answer a query that overlaps a write from a half-applied state (hits
        whose metadata is gone, or none at all): reads run together, each write alone."""

    def ensure(self, collection: str) -> None:
        if collection in self._cache:
            return
        with self._pause.writing():
            col = self._call(
                lambda: self._client.get_or_create_collection(
                    _name(collection), embedding_function=None, configuration=cast(Any, {"hnsw": self._hnsw})
                )
            )
        self._opened(collection, col)

    def drop(self, collection: str) -> None:
        with self._pause.writing():
            self._drop(collection)

    def _drop(self, collection: str) -> None:
        self._cache.pop(collection, None)
        self._call(lambda: self._keywords.drop(collection))
        try:
            self._client.delete_collection(_name(collection))
        except Exception as e:  # missing is fine; anything else is not
            if _invalid(e):
                raise _rejected(e) from e
            if not _missing(e):
                raise IndexUnavailable(f"Could not delete collection '{collection}': {e}") from e

    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        col = self._collection(collection)
        if col is None:
            raise CollectionNotFound(f"Collection '{collection}' has no chunk storage.", collection=collection)
        if not chunks:
            return
        for start in range(0, len(chunks), WRITE_GROUP):  # searches wait for one group at most, not a whole batch
            try:
                self._write(col, collection, chunks[start : start + WRITE_GROUP], vectors[start : start + WRITE_GROUP])
            except Exception as e:  # Chroma refuses a group whole; the keyword index writes it in one transaction
                _log_failure(e)
                raise IndexWriteFailed(
                    f"The embedded store rejected chunks {start}-{len(chunks)} of a batch of {len(chunks)} "
                    f"({type(e).__name__}).",
                    failed_ids=[c.id for c in chunks[start:]],
                ) from e

    def _write(self, col: Any, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        metadatas: list[Any] = [
            {**c.metadata, "document_id": c.document_id, "document_version": c.document_version, "position": c.position}
            for c in chunks
        ]
        with self._pause.writing(), self._rw.writing():
            col.upsert(
                ids=[c.id for c in chunks],
                embeddings=[list(v) for v in vectors],
                documents=[c.text for c in chunks],
                metadatas=metadatas,
            )
            self._keywords.upsert(collection, chunks)

    def delete(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        col = self._collection(collection)
        if col is None:
            return
        extra = [{"document_version": {"$ne": keep_version}}] if keep_version else []
        where = where_clause([MetadataFilter(key="document_id", value=document_id)], extra)
        with self._pause.writing(), self._rw.writing():
            self._call(lambda: col.delete(where=where))
            self._call(lambda: self._keywords.delete(collection, document_id, keep_version=keep_version))

    def search(self, collection: str, query: ChunkQuery) -> list[SearchHit]:
        if query.mode not in self.search_modes:  # pragma: no cover - every mode is supported
            raise UnsupportedSearchMode(f"The embedded store does not support '{query.mode.value}' search.")
        col = self._collection(collection)
        if col is None:
            return []
        if query.mode is SearchMode.VECTOR:
            return self._vector(col, query)
        with self._rw.reading():
            keyword = self._call(
                lambda: self._keywords.search(collection, query.text, query.filters, query.top_k, access=query.access)
            )
        if query.mode is SearchMode.KEYWORD:
            return keyword
        vector = self._vector(col, query)
        if query.min_vector_score is not None and keyword:
            keyword = self._similar(col, query, keyword, query.min_vector_score)
        return fuse(vector, keyword, alpha=query.alpha, method=query.fusion, top_k=query.top_k)

    def _similar(self, col: Any, query: ChunkQuery, hits: list[SearchHit], floor: float) -> list[SearchHit]:
        """The keyword hits whose own vector clears the relevance floor (``ChunkQuery.min_vector_score``)."""
        with self._rw.reading():
            got = self._call(lambda: col.get(ids=[h.chunk.id for h in hits], include=["embeddings"]))
        vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
        return [h for h in hits if h.chunk.id in vectors and cosine(query.vector, vectors[h.chunk.id]) >= floor]

    def _vector(self, col: Any, query: ChunkQuery) -> list[SearchHit]:
        with self._rw.reading():
            res = self._call(
                lambda: col.query(
                    query_embeddings=[list(query.vector)],
                    n_results=query.top_k,
                    where=where_clause(query.filters, access_where(query.access)),
                    include=["documents", "metadatas", "distances"],
                )
            )
        ids, docs = res["ids"][0], (res["documents"] or [[]])[0]
        metas, dists = (res["metadatas"] or [[]])[0], (res["distances"] or [[]])[0]
        hits = []
        for cid, text, meta, dist in zip(ids, docs, metas, dists, strict=True):
            chunk = chunk_from_metadata(cid, text, meta)
            if chunk is not None:  # None: a chunk caught half-written by a concurrent upsert, not ours yet
                hits.append(SearchHit(chunk=chunk, score=1.0 - float(dist)))
        return above_floor(hits, query.min_vector_score)

    def count(self, collection: str) -> int:
        col = self._collection(collection)
        return 0 if col is None else int(self._call(col.count))

    def health(self) -> HealthStatus:
        try:
            self._client.heartbeat()
        except Exception as e:
            return HealthStatus(ok=False, detail=f"{type(e).__name__}: {e}")
        return HealthStatus(ok=True, detail=f"chroma at {self._path}")

    def close(self) -> None:
        try:
            self._keywords.close()
        finally:
            self._release()

    # --- helpers -----------------------------------------------------------------------------------
    def _collection(self, collection: str) -> Any:
        """The Chroma collection, or None if it does not exist."""
        col = self._cache.get(collection)
        if col is not None:
            return col
        try:
            col = self._client.get_collection(_name(collection), embedding_function=None)
        except Exception as e:
            if _missing(e):
                return None
            _log_failure(e)
            if _invalid(e):
                raise _rejected(e) from e
            raise IndexUnavailable(f"Could not open collection '{collection}' ({type(e).__name__}).") from e
        self._opened(collection, col)
        return col

    def _opened(self, collection: str, col: Any) -> None:
        """Cache the collection; one written before the keyword index existed is keyword-indexed now."""
        if not self._call(lambda: self._keywords.has(collection)):

            def backfill() -> None:
                self._keywords.ensure(collection)
                for offset in range(0, int(col.count()), 1000):
                    page = col.get(limit=1000, offset=offset, include=["documents", "metadatas"])
                    rows = zip(page["ids"], page["documents"], page["metadatas"], strict=True)
                    self._keywords.upsert(collection, [c for r in rows if (c := chunk_from_metadata(*r)) is not None])

            with self._pause.writing():
                self._call(backfill)
        self._cache[collection] = col

    def _release(self) -> None:
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        finally:
            self._lock_file.close()

    @staticmethod
    def _call(fn: Callable[[], T]) -> T:
        try:
            return fn()
        except AutbotError:
            raise
        except Exception as e:
            _log_failure(e)
            if _invalid(e):
                raise _rejected(e) from e
            raise IndexUnavailable(f"The embedded vector store failed ({type(e).__name__}).") from e


def _log_failure(error: Exception) -> None:
    """The store's own words go to the log, never to a client: they quote queries and internal state."""
    logger.warning("The embedded vector store failed: {}: {}", type(error).__name__, str(error)[:2000])


def _name(collection: str) -> str:
    return f"autbot-{collection}"


def _invalid(error: Exception) -> bool:
    """Chroma's own validation refused a value (a collection name, a where clause): the store is up, so this is
    never ``IndexUnavailable`` and no circuit breaker counts it. A write stays ``IndexWriteFailed`` (the port's
    contract: which chunks were not stored)."""
    from chromadb.errors import InvalidArgumentError

    return isinstance(error, InvalidArgumentError)


def _rejected(error: Exception) -> UpstreamRejected:
    return UpstreamRejected(f"The embedded vector store refused the request as not valid ({type(error).__name__}).")


def _missing(error: Exception) -> bool:
    text = str(error).lower()
    return "does not exist" in text or "not found" in text
