"""The Reranker contract, on every adapter (today only ``NoReranker``: no cross-encoder ships offline)."""

from __future__ import annotations

import pytest

from autbot.adapters.rerankers.identity import NoReranker
from autbot.domain.model import Chunk, SearchHit
from autbot.ports.reranker import Reranker

ADAPTERS = [pytest.param(NoReranker, id="none")]


def hit(cid: str, score: float) -> SearchHit:
    return SearchHit(
        chunk=Chunk(id=cid, document_id=cid, document_version="v", text=f"text {cid}", position=0), score=score
    )


@pytest.fixture(params=ADAPTERS)
def reranker(request: pytest.FixtureRequest) -> Reranker:
    made: Reranker = request.param()
    return made


def test_satisfies_the_protocol(reranker: Reranker) -> None:
    assert isinstance(reranker, Reranker)
    assert reranker.model_id
    assert reranker.health().ok


def test_keeps_top_k_of_the_given_hits_best_first(reranker: Reranker) -> None:
    hits = [hit("a", 0.9), hit("b", 0.8), hit("c", 0.1)]
    out = reranker.rerank("which letter", hits, 2)
    assert len(out) == 2
    assert {h.chunk.id for h in out} <= {"a", "b", "c"}
    assert [h.score for h in out] == sorted((h.score for h in out), reverse=True)
    assert all(h.chunk == next(x.chunk for x in hits if x.chunk.id == h.chunk.id) for h in out)
    assert reranker.rerank("anything", [], 5) == []
    assert len(reranker.rerank("more than there is", hits, 10)) == 3
