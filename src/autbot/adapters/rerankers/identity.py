"""``NoReranker``: the default. It keeps the search's own order and scores.

No cross-encoder can be installed offline today: no PyPI package reachable from here ships the weights
of one (ms-marco MiniLM or similar) as ONNX, and models are never downloaded from a hub at run time.
A real reranker will be another adapter of the same port.
"""

from __future__ import annotations

from collections.abc import Sequence

from autbot.domain.model import HealthStatus, SearchHit


class NoReranker:
    @property
    def model_id(self) -> str:
        return "none"

    def rerank(self, query: str, hits: Sequence[SearchHit], top_k: int) -> list[SearchHit]:
        return list(hits[:top_k])

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail="no reranker")
