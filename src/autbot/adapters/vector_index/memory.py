"""An in-memory vector index: the fake. Exact cosine search, BM25-style keyword scoring."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence

from autbot.domain.errors import EmbeddingModelMismatch, IndexWriteFailed
from autbot.domain.model import (
    Chunk,
    CollectionInfo,
    Document,
    HealthStatus,
    MetadataFilter,
    SearchHit,
    SearchMode,
    filter_matches,
)

_WORD = re.compile(r"[a-z0-9]+")


class _Collection:
    def __init__(self, model: str, dimension: int) -> None:
        self.model = model
        self.dimension = dimension
        self.chunks: dict[str, tuple[Chunk, list[float]]] = {}
        self.documents: dict[str, Document] = {}


class InMemoryVectorIndex:
    def __init__(self) -> None:
        self._collections: dict[str, _Collection] = {}
        self._lock = threading.RLock()

    @property
    def search_modes(self) -> frozenset[SearchMode]:
        return frozenset(SearchMode)

    def ensure_collection(self, collection: str, *, embedding_model: str, dimension: int) -> CollectionInfo:
        with self._lock:
            c = self._collections.setdefault(collection, _Collection(embedding_model, dimension))
            if (c.model, c.dimension) != (embedding_model, dimension):
                raise EmbeddingModelMismatch(
                    f"Collection '{collection}' holds vectors of '{c.model}' ({c.dimension} dimensions); "
                    f"refusing to mix in '{embedding_model}' ({dimension}).",
                    collection=collection,
                    collection_model=c.model,
                    embedder_model=embedding_model,
                )
            return self._info(collection, c)

    def get_collection(self, collection: str, *, counts: bool = True) -> CollectionInfo | None:
        with self._lock:
            c = self._collections.get(collection)
            return self._info(collection, c) if c else None

    def list_collections(self) -> list[CollectionInfo]:
        with self._lock:
            return [self._info(n, c) for n, c in self._collections.items()]

    def delete_collection(self, collection: str) -> bool:
        with self._lock:
            return self._collections.pop(collection, None) is not None

    def upsert_chunks(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        with self._lock:
            c = self._collections[collection]
            bad = [ch.id for ch, v in zip(chunks, vectors, strict=True) if len(v) != c.dimension]
            if bad:
                raise IndexWriteFailed(f"{len(bad)} vectors have the wrong dimension.", failed_ids=bad)
            for ch, v in zip(chunks, vectors, strict=True):
                c.chunks[ch.id] = (ch, list(v))

    def delete_chunks(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        with self._lock:
            c = self._collections.get(collection)
            if c is None:
                return
            for cid in [
                k
                for k, (ch, _) in c.chunks.items()
                if ch.document_id == document_id and ch.document_version != keep_version
            ]:
                del c.chunks[cid]

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
        with self._lock:
            c = self._collections.get(collection)
            items = [(ch, v) for ch, v in c.chunks.values() if filter_matches(filters, ch)] if c else []
        if not items:
            return []
        vec_scores = {ch.id: _dot(vector, v) for ch, v in items} if mode is not SearchMode.KEYWORD else {}
        kw_scores = _bm25(query_text, [ch for ch, _ in items]) if mode is not SearchMode.VECTOR else {}
        if mode is SearchMode.VECTOR:
            scores = vec_scores
        elif mode is SearchMode.KEYWORD:
            scores = {k: s for k, s in kw_scores.items() if s > 0}
        else:
            scores = _fuse(vec_scores, kw_scores, alpha)
        by_id = {ch.id: ch for ch, _ in items}
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
        return [SearchHit(chunk=by_id[cid], score=float(s)) for cid, s in best]

    def count_chunks(self, collection: str) -> int:
        with self._lock:
            c = self._collections.get(collection)
            return len(c.chunks) if c else 0

    def put_documents(self, documents: Sequence[Document]) -> None:
        with self._lock:
            for d in documents:
                self._collections[d.collection].documents[d.id] = d

    def get_documents(self, collection: str, document_ids: Sequence[str]) -> dict[str, Document]:
        with self._lock:
            c = self._collections.get(collection)
            return {i: c.documents[i] for i in document_ids if c and i in c.documents}

    def list_documents(self, collection: str, *, offset: int, limit: int) -> tuple[list[Document], int]:
        with self._lock:
            c = self._collections.get(collection)
            docs = sorted(c.documents.values(), key=lambda d: d.id) if c else []
        return docs[offset : offset + limit], len(docs)

    def delete_document(self, collection: str, document_id: str) -> bool:
        with self._lock:
            c = self._collections.get(collection)
            return c is not None and c.documents.pop(document_id, None) is not None

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail="in-memory")

    def close(self) -> None:
        return None

    @staticmethod
    def _info(name: str, c: _Collection) -> CollectionInfo:
        return CollectionInfo(
            name=name,
            embedding_model=c.model,
            dimension=c.dimension,
            document_count=len(c.documents),
            chunk_count=len(c.chunks),
        )


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=False))


def _bm25(query: str, chunks: list[Chunk], k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
    terms = set(_WORD.findall(query.lower()))
    docs = {ch.id: Counter(_WORD.findall(ch.text.lower())) for ch in chunks}
    n = len(docs)
    avg = sum(sum(t.values()) for t in docs.values()) / max(n, 1)
    scores: dict[str, float] = {}
    for cid, tf in docs.items():
        length = sum(tf.values())
        s = 0.0
        for term in terms:
            df = sum(1 for t in docs.values() if term in t)
            if tf[term]:
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                s += idf * tf[term] * (k1 + 1) / (tf[term] + k1 * (1 - b + b * length / max(avg, 1e-9)))
        scores[cid] = s
    return scores


def _fuse(vec: dict[str, float], kw: dict[str, float], alpha: float) -> dict[str, float]:
    """Relative-score fusion: min-max normalise each list, weight vector by alpha."""

    def norm(s: dict[str, float]) -> dict[str, float]:
        if not s:
            return {}
        lo, hi = min(s.values()), max(s.values())
        return {k: (v - lo) / (hi - lo) if hi > lo else 1.0 for k, v in s.items()}

    nv, nk = norm(vec), norm(kw)
    return {k: alpha * nv.get(k, 0.0) + (1 - alpha) * nk.get(k, 0.0) for k in set(nv) | set(nk)}
