"""An in-memory chunk index: the fake. Exact cosine search, BM25 keyword scoring, fusion by ``domain.fusion``.

Every search scans the whole collection (and keyword scoring recomputes term statistics), so it
suits tests and small demos, not thousands of documents.
"""

from __future__ import annotations

import math
import operator
import re
import threading
from collections import Counter
from collections.abc import Sequence

from autbot.domain.errors import CollectionNotFound, IndexWriteFailed, UnsupportedSearchMode
from autbot.domain.fusion import fuse
from autbot.domain.model import Chunk, ChunkQuery, HealthStatus, SearchHit, SearchMode, filter_matches

_WORD = re.compile(r"[a-z0-9]+")


class InMemoryChunkIndex:
    search_modes = frozenset(SearchMode)

    def __init__(self) -> None:
        self._collections: dict[str, dict[str, tuple[Chunk, list[float]]]] = {}
        self._dimensions: dict[str, int] = {}
        self._lock = threading.RLock()

    def ensure(self, collection: str) -> None:
        with self._lock:
            self._collections.setdefault(collection, {})

    def drop(self, collection: str) -> None:
        with self._lock:
            self._collections.pop(collection, None)
            self._dimensions.pop(collection, None)

    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        with self._lock:
            stored = self._collections.get(collection)
            if stored is None:
                raise CollectionNotFound(f"Collection '{collection}' has no chunk storage.", collection=collection)
            if not chunks:
                return
            dimension = self._dimensions.setdefault(collection, len(vectors[0]))
            bad: list[str] = []
            for ch, v in zip(chunks, vectors, strict=True):
                if len(v) == dimension:
                    stored[ch.id] = (ch, list(v))
                else:  # like a real store: one dimension per collection; the rest of the batch is written
                    bad.append(ch.id)
            if bad:
                raise IndexWriteFailed(f"{len(bad)} vectors do not have {dimension} dimensions.", failed_ids=bad)

    def delete(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        with self._lock:
            stored = self._collections.get(collection, {})
            for cid in [
                k
                for k, (ch, _) in stored.items()
                if ch.document_id == document_id and ch.document_version != keep_version
            ]:
                del stored[cid]

    def search(self, collection: str, query: ChunkQuery) -> list[SearchHit]:
        with self._lock:
            stored = self._collections.get(collection, {})
            items = [(ch, v) for ch, v in stored.values() if _admitted(query, ch)]
        if not items:
            return []
        by_id = {ch.id: ch for ch, _ in items}
        if query.mode is SearchMode.KEYWORD:
            return _best(_keyword(query.text, items), by_id, query.top_k)
        similarity = {ch.id: _dot(query.vector, v) for ch, v in items}
        floor = query.min_vector_score
        if floor is not None:  # the relevance floor: nothing less similar, on either side
            similarity = {cid: s for cid, s in similarity.items() if s >= floor}
        vector = _best(similarity, by_id, query.top_k)
        if query.mode is SearchMode.VECTOR:
            return vector
        if query.mode is SearchMode.HYBRID:
            matches = _keyword(query.text, items)
            if floor is not None:
                matches = {cid: s for cid, s in matches.items() if cid in similarity}
            keyword = _best(matches, by_id, query.top_k)
            return fuse(vector, keyword, alpha=query.alpha, method=query.fusion, top_k=query.top_k)
        raise UnsupportedSearchMode(f"Unknown search mode {query.mode!r}.")  # pragma: no cover

    def count(self, collection: str) -> int:
        with self._lock:
            return len(self._collections.get(collection, {}))

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail="in-memory")

    def close(self) -> None:
        return None


def _admitted(query: ChunkQuery, chunk: Chunk) -> bool:
    """The query's filters and access filter, applied before anything is ranked."""
    return filter_matches(query.filters, chunk) and (query.access is None or query.access.admits(chunk.metadata))


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return float(sum(map(operator.mul, a, b)))


def _bm25(query: str, chunks: list[Chunk], k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
    terms = set(_WORD.findall(query.lower()))
    docs = {ch.id: Counter(_WORD.findall(ch.text.lower())) for ch in chunks}
    n = len(docs)
    avg = sum(sum(t.values()) for t in docs.values()) / max(n, 1)
    df = {term: sum(1 for t in docs.values() if term in t) for term in terms}
    scores: dict[str, float] = {}
    for cid, tf in docs.items():
        length = sum(tf.values())
        s = 0.0
        for term in terms:
            if tf[term]:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                s += idf * tf[term] * (k1 + 1) / (tf[term] + k1 * (1 - b + b * length / max(avg, 1e-9)))
        scores[cid] = s
    return scores


def _keyword(text: str, items: list[tuple[Chunk, list[float]]]) -> dict[str, float]:
    return {k: s for k, s in _bm25(text, [ch for ch, _ in items]).items() if s > 0}


def _best(scores: dict[str, float], by_id: dict[str, Chunk], top_k: int) -> list[SearchHit]:
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
    return [SearchHit(chunk=by_id[cid], score=float(s)) for cid, s in best]
