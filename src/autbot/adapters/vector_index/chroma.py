"""The embedded default: Chroma (``PersistentClient``, cosine HNSW) for chunks and vectors, and a
SQLite registry beside it for collections and documents. Single-process: a lock file refuses a
second process on the same data directory."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from autbot.adapters.vector_index.registry import SqliteRegistry
from autbot.domain.errors import (
    AutbotError,
    ConfigurationError,
    EmbeddingModelMismatch,
    IndexUnavailable,
    IndexWriteFailed,
)
from autbot.domain.model import (
    Chunk,
    CollectionInfo,
    Document,
    HealthStatus,
    MetadataFilter,
    SearchHit,
    SearchMode,
)

T = TypeVar("T")
_RESERVED = ("document_id", "document_version", "position")


def where_clause(filters: Sequence[MetadataFilter], extra: Sequence[dict[str, Any]] = ()) -> dict[str, Any] | None:
    """Filters as a Chroma ``where``: equality, ``$in`` for lists, ``$and`` to combine."""
    parts: list[dict[str, Any]] = [
        {f.key: {"$in": list(f.value)}} if isinstance(f.value, list) else {f.key: f.value} for f in filters
    ]
    parts.extend(extra)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


class ChromaVectorIndex:
    def __init__(
        self, *, path: str, hnsw_ef_search: int = 128, hnsw_max_neighbors: int = 32, hnsw_ef_construction: int = 200
    ) -> None:
        self._path = Path(path)
        self._path.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self._path / "autbot.lock", "a+")  # noqa: SIM115 - held for the process life
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            self._lock_file.close()
            raise ConfigurationError(
                f"The data directory {self._path} is in use by another AutBot process. The embedded vector "
                "store is single-process: run one worker per data directory, or configure "
                "index.backend = 'weaviate' to scale out.",
                path=str(self._path),
            ) from e
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(str(os.getpid()))
        self._lock_file.flush()
        try:
            import chromadb
            from chromadb.config import Settings

            self._client = chromadb.PersistentClient(
                path=str(self._path / "chroma"),
                settings=Settings(anonymized_telemetry=False, allow_reset=False),
            )
        except Exception as e:
            raise IndexUnavailable(f"Could not open the embedded vector store at {self._path}: {e}") from e
        self._registry = SqliteRegistry(self._path / "registry.sqlite3")
        self._hnsw = {
            "space": "cosine",
            "ef_search": hnsw_ef_search,
            "max_neighbors": hnsw_max_neighbors,
            "ef_construction": hnsw_ef_construction,
        }
        self._cache: dict[str, Any] = {}

    @property
    def search_modes(self) -> frozenset[SearchMode]:
        return frozenset({SearchMode.VECTOR})

    # --- collections -------------------------------------------------------------------------
    def ensure_collection(self, collection: str, *, embedding_model: str, dimension: int) -> CollectionInfo:
        found = self._call(lambda: self._registry.collection(collection))
        if found is not None and found != (embedding_model, dimension):
            raise EmbeddingModelMismatch(
                f"Collection '{collection}' holds vectors of '{found[0]}' ({found[1]} dimensions); "
                f"refusing to mix in '{embedding_model}' ({dimension}).",
                collection=collection,
                collection_model=found[0],
                embedder_model=embedding_model,
            )
        self._chroma(collection, create=True)
        if found is None:
            self._call(lambda: self._registry.add_collection(collection, embedding_model, dimension))
        info = self.get_collection(collection)
        assert info is not None
        return info

    def get_collection(self, collection: str, *, counts: bool = True) -> CollectionInfo | None:
        found = self._call(lambda: self._registry.collection(collection))
        if found is None:
            return None
        if not counts:
            return CollectionInfo(name=collection, embedding_model=found[0], dimension=found[1])
        _, total = self._call(lambda: self._registry.page(collection, 0, 0))
        return CollectionInfo(
            name=collection,
            embedding_model=found[0],
            dimension=found[1],
            document_count=total,
            chunk_count=self.count_chunks(collection),
        )

    def list_collections(self) -> list[CollectionInfo]:
        rows = self._call(self._registry.collections)
        return [
            CollectionInfo(
                name=n, embedding_model=m, dimension=d, document_count=docs, chunk_count=self.count_chunks(n)
            )
            for n, m, d, docs in rows
        ]

    def delete_collection(self, collection: str) -> bool:
        existed = self._call(lambda: self._registry.drop_collection(collection))
        self._cache.pop(collection, None)
        try:
            self._client.delete_collection(self._name(collection))
        except Exception as e:  # missing in Chroma is fine; anything else is not
            if "does not exist" not in str(e).lower() and "not found" not in str(e).lower():
                raise IndexUnavailable(f"Could not delete collection '{collection}': {e}") from e
        return existed

    # --- chunks ------------------------------------------------------------------------------
    def upsert_chunks(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        if not chunks:
            return
        col = self._chroma(collection)
        metadatas: list[Any] = [
            {**c.metadata, "document_id": c.document_id, "document_version": c.document_version, "position": c.position}
            for c in chunks
        ]
        try:
            col.upsert(
                ids=[c.id for c in chunks],
                embeddings=[list(v) for v in vectors],
                documents=[c.text for c in chunks],
                metadatas=metadatas,
            )
        except Exception as e:
            raise IndexWriteFailed(
                f"The embedded store rejected a batch of {len(chunks)} chunks: {e}",
                failed_ids=[c.id for c in chunks],
            ) from e

    def delete_chunks(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        col = self._chroma(collection, missing_ok=True)
        if col is None:
            return
        extra = [{"document_version": {"$ne": keep_version}}] if keep_version else []
        where = where_clause([MetadataFilter(key="document_id", value=document_id)], extra)
        self._call(lambda: col.delete(where=where))

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
        col = self._chroma(collection, missing_ok=True)
        if col is None:
            return []
        res = self._call(
            lambda: col.query(
                query_embeddings=[list(vector)],
                n_results=top_k,
                where=where_clause(filters),
                include=["documents", "metadatas", "distances"],
            )
        )
        ids, docs = res["ids"][0], (res["documents"] or [[]])[0]
        metas, dists = (res["metadatas"] or [[]])[0], (res["distances"] or [[]])[0]
        hits = []
        for cid, text, meta, dist in zip(ids, docs, metas, dists, strict=True):
            m = dict(meta or {})
            chunk = Chunk(
                id=cid,
                document_id=str(m.pop("document_id")),
                document_version=str(m.pop("document_version")),
                position=int(m.pop("position")),
                text=text or "",
                metadata={k: v for k, v in m.items() if isinstance(v, (str, int, float, bool))},
            )
            hits.append(SearchHit(chunk=chunk, score=1.0 - float(dist)))
        return hits

    def count_chunks(self, collection: str) -> int:
        col = self._chroma(collection, missing_ok=True)
        return 0 if col is None else int(self._call(col.count))

    # --- documents ---------------------------------------------------------------------------
    def put_documents(self, documents: Sequence[Document]) -> None:
        self._call(lambda: self._registry.put(documents))

    def get_documents(self, collection: str, document_ids: Sequence[str]) -> dict[str, Document]:
        return self._call(lambda: self._registry.get(collection, document_ids))

    def list_documents(self, collection: str, *, offset: int, limit: int) -> tuple[list[Document], int]:
        return self._call(lambda: self._registry.page(collection, offset, limit))

    def delete_document(self, collection: str, document_id: str) -> bool:
        return self._call(lambda: self._registry.delete(collection, document_id))

    # --- lifecycle ---------------------------------------------------------------------------
    def health(self) -> HealthStatus:
        try:
            self._client.heartbeat()
            self._registry.ping()
        except Exception as e:
            return HealthStatus(ok=False, detail=f"{type(e).__name__}: {e}")
        return HealthStatus(ok=True, detail=f"chroma at {self._path}")

    def close(self) -> None:
        self._registry.close()
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        finally:
            self._lock_file.close()

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _name(collection: str) -> str:
        return f"autbot-{collection}"

    def _chroma(self, collection: str, *, create: bool = False, missing_ok: bool = False) -> Any:
        col = self._cache.get(collection)
        if col is not None:
            return col
        try:
            if create:
                col = self._client.get_or_create_collection(
                    self._name(collection), embedding_function=None, configuration=cast(Any, {"hnsw": self._hnsw})
                )
            else:
                col = self._client.get_collection(self._name(collection), embedding_function=None)
        except Exception as e:
            if missing_ok:
                return None
            raise IndexUnavailable(f"Could not open collection '{collection}': {e}") from e
        self._cache[collection] = col
        return col

    @staticmethod
    def _call(fn: Callable[[], T]) -> T:
        try:
            return fn()
        except AutbotError:
            raise
        except Exception as e:
            raise IndexUnavailable(f"The embedded vector store failed: {type(e).__name__}: {e}") from e
