from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from autbot.domain.model import HealthStatus, SearchHit


@runtime_checkable
class Reranker(Protocol):
    """Re-orders a search's candidate hits by a finer relevance judgement (e.g. a cross-encoder reading
    the query and each chunk together). Raises ``DependencyUnavailable`` when its model cannot run."""

    @property
    def model_id(self) -> str: ...

    def rerank(self, query: str, hits: Sequence[SearchHit], top_k: int) -> list[SearchHit]:
        """The best ``top_k`` of ``hits`` for ``query``, best first, each hit unchanged but its score (the
        reranker's own, higher is better). Never adds a hit; an empty input gives an empty list."""
        ...

    def health(self) -> HealthStatus: ...
