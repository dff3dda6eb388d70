"""Hybrid search: merging a vector ranking and a keyword (BM25) ranking into one. A business rule, so it
lives here once; every chunk index that fuses in-process (the fake, the embedded store) calls it, and
Weaviate's built-in fusion is configured to the same method.

Both methods give scores in [0, 1], higher is better, so hybrid scores compare across backends:

- ``relative_score``: each list's scores are min-max normalised to [0, 1] (a one-hit list scores 1),
  then ``alpha * vector + (1 - alpha) * keyword`` (a hit absent from a list gets 0 from it).
- ``reciprocal_rank``: ``alpha / (k + r_vector) + (1 - alpha) / (k + r_keyword)`` with 1-based ranks,
  scaled by ``k + 1`` so that a hit first in both lists scores 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autbot.domain import limits
from autbot.domain.model import Fusion, SearchHit


def _normalised(hits: Sequence[SearchHit]) -> dict[str, float]:
    if not hits:
        return {}
    lo, hi = min(h.score for h in hits), max(h.score for h in hits)
    return {h.chunk.id: (h.score - lo) / (hi - lo) if hi > lo else 1.0 for h in hits}


def _ranks(hits: Sequence[SearchHit]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for rank, hit in enumerate(sorted(hits, key=lambda h: -h.score), 1):
        ranks.setdefault(hit.chunk.id, rank)
    return ranks


def fuse(
    vector: Sequence[SearchHit],
    keyword: Sequence[SearchHit],
    *,
    alpha: float,
    method: Fusion,
    top_k: int,
    rrf_k: int = limits.RRF_K,
) -> list[SearchHit]:
    """The best ``top_k`` of both lists, fused; ties broken by chunk id (stable across backends)."""
    chunks = {h.chunk.id: h.chunk for h in (*keyword, *vector)}
    if method is Fusion.RECIPROCAL_RANK:
        rv, rk = _ranks(vector), _ranks(keyword)
        scores = {
            cid: (rrf_k + 1)
            * (
                (alpha / (rrf_k + rv[cid]) if cid in rv else 0.0)
                + ((1 - alpha) / (rrf_k + rk[cid]) if cid in rk else 0.0)
            )
            for cid in chunks
        }
    else:
        nv, nk = _normalised(vector), _normalised(keyword)
        scores = {cid: alpha * nv.get(cid, 0.0) + (1 - alpha) * nk.get(cid, 0.0) for cid in chunks}
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
    return [SearchHit(chunk=chunks[cid], score=score) for cid, score in best]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity (0 for a zero vector)."""
    dot = math.fsum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norm if norm else 0.0


def above_floor(hits: Sequence[SearchHit], floor: float | None) -> list[SearchHit]:
    """The hits scoring at least ``floor`` (all of them when it is None): a vector ranking's relevance floor
    (``ChunkQuery.min_vector_score``)."""
    return list(hits) if floor is None else [h for h in hits if h.score >= floor]
