"""SearchChunks with a reranker: candidates, order and top_k; and the fusion setting reaches the index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from autbot.adapters.embedders.catalogue import StaticEmbedderCatalogue
from autbot.domain import limits
from autbot.domain.auth import ANONYMOUS
from autbot.domain.model import DocumentInput, Fusion, HealthStatus, SearchHit, SearchMode
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.search import SearchChunks, SearchLimits, SearchRequest
from tests.support.fakes import World


class ReversingReranker:
    """Puts the search's worst candidates first: easy to recognise."""

    model_id = "reverse"

    def __init__(self) -> None:
        self.given: list[int] = []

    def rerank(self, query: str, hits: Sequence[SearchHit], top_k: int) -> list[SearchHit]:
        self.given.append(len(hits))
        return list(reversed(hits))[:top_k]

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True)


def world_with_docs(n: int = 60) -> World:
    world = World()
    world.add("kb", *(DocumentInput(id=f"d{i}", text=f"penguin fact number {i} about ice") for i in range(n)))
    return world


def test_rerank_reorders_the_candidates_and_keeps_top_k() -> None:
    world = world_with_docs()
    reranker = ReversingReranker()
    search = SearchChunks(
        embedders=StaticEmbedderCatalogue.single(world.embedder),
        chunks=world.chunks,
        registry=world.registry,
        reranker=reranker,
    )
    plain = search.execute(
        SearchRequest(
            principal=ANONYMOUS,
            collection="kb",
            query="penguin fact",
            retrieval=RetrievalOptions(top_k=limits.RERANK_CANDIDATES),
        )
    )
    reranked = search.execute(
        SearchRequest(
            principal=ANONYMOUS, collection="kb", query="penguin fact", rerank=True, retrieval=RetrievalOptions(top_k=3)
        )
    )
    assert reranker.given == [limits.RERANK_CANDIDATES]
    assert [h.chunk.id for h in reranked] == [h.chunk.id for h in reversed(plain)][:3]
    assert (
        search.execute(
            SearchRequest(
                principal=ANONYMOUS, collection="kb", query="penguin fact", retrieval=RetrievalOptions(top_k=3)
            )
        )
        == plain[:3]
    )  # not asked


def test_without_a_reranker_the_flag_changes_nothing() -> None:
    world = world_with_docs(10)
    request = SearchRequest(
        principal=ANONYMOUS, collection="kb", query="penguin fact", retrieval=RetrievalOptions(top_k=4)
    )
    assert world.search.execute(request) == world.search.execute(replace(request, rerank=True))


def test_the_configured_fusion_is_used_by_hybrid_search() -> None:
    world = world_with_docs(10)

    def scores(fusion: Fusion) -> list[float]:
        search = SearchChunks(
            embedders=StaticEmbedderCatalogue.single(world.embedder),
            chunks=world.chunks,
            registry=world.registry,
            limits=SearchLimits(fusion=fusion),
        )
        request = SearchRequest(
            principal=ANONYMOUS,
            collection="kb",
            query="penguin number 3",
            retrieval=RetrievalOptions(top_k=5, mode=SearchMode.HYBRID),
        )
        return [h.score for h in search.execute(request)]

    assert scores(Fusion.RELATIVE_SCORE) != scores(Fusion.RECIPROCAL_RANK)
    assert scores(Fusion.RECIPROCAL_RANK)[0] <= 1.0
