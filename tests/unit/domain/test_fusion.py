"""Hybrid fusion (``domain.fusion``): both methods, their scale and their limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.fusion import above_floor, cosine, fuse
from autbot.domain.model import Chunk, Fusion, SearchHit


def hits(scores: dict[str, float]) -> list[SearchHit]:
    return [
        SearchHit(chunk=Chunk(id=cid, document_id=cid, document_version="v", text=cid, position=0), score=s)
        for cid, s in sorted(scores.items(), key=lambda kv: -kv[1])
    ]


score_maps = st.dictionaries(st.sampled_from("abcdefghij"), st.floats(-5, 50), max_size=10)


def test_relative_score_fusion_by_hand() -> None:
    vector = hits({"a": 0.9, "b": 0.5, "c": 0.1})
    keyword = hits({"c": 12.0, "d": 3.0})
    fused = fuse(vector, keyword, alpha=0.5, method=Fusion.RELATIVE_SCORE, top_k=10)
    scores = {h.chunk.id: h.score for h in fused}
    assert scores == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.5, "d": 0.0})
    assert [h.chunk.id for h in fused][:2] == ["a", "c"]  # a tie is broken by chunk id


def test_reciprocal_rank_fusion_by_hand() -> None:
    vector = hits({"a": 0.9, "b": 0.5})
    keyword = hits({"b": 7.0, "a": 1.0})
    fused = fuse(vector, keyword, alpha=0.5, method=Fusion.RECIPROCAL_RANK, top_k=10)
    assert [h.score for h in fused] == pytest.approx([61 * (0.5 / 61 + 0.5 / 62)] * 2)
    only = fuse(vector, [], alpha=1.0, method=Fusion.RECIPROCAL_RANK, top_k=1)
    assert only[0].chunk.id == "a"
    assert only[0].score == pytest.approx(1.0)


@pytest.mark.parametrize("method", list(Fusion))
@given(vector=score_maps, keyword=score_maps, alpha=st.floats(0, 1), top_k=st.integers(1, 12))
def test_scores_are_in_0_1_best_first_and_every_hit_is_from_an_input(
    method: Fusion, vector: dict[str, float], keyword: dict[str, float], alpha: float, top_k: int
) -> None:
    fused = fuse(hits(vector), hits(keyword), alpha=alpha, method=method, top_k=top_k)
    assert len(fused) == min(top_k, len(set(vector) | set(keyword)))
    assert all(-1e-9 <= h.score <= 1 + 1e-9 for h in fused)
    assert [h.score for h in fused] == sorted((h.score for h in fused), reverse=True)
    assert {h.chunk.id for h in fused} <= set(vector) | set(keyword)


distinct = st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10).map(
    lambda ids: {cid: float(len(ids) - i) for i, cid in enumerate(ids)}  # distinct scores, best first
)


@pytest.mark.parametrize("method", list(Fusion))
@given(vector=distinct, keyword=score_maps)
def test_alpha_1_keeps_the_vector_order(method: Fusion, vector: dict[str, float], keyword: dict[str, float]) -> None:
    fused = fuse(hits(vector), hits(keyword), alpha=1.0, method=method, top_k=10)
    in_vector = [h.chunk.id for h in fused if h.chunk.id in vector]
    assert in_vector[: len(vector) - 1] == list(vector)[: len(vector) - 1]  # the last may tie a keyword-only 0


def test_cosine_and_the_relevance_floor() -> None:
    assert cosine([1.0, 0.0], [2.0, 0.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [0.0, 3.0]) == pytest.approx(0.0)
    assert cosine([1.0, 1.0], [-1.0, -1.0]) == pytest.approx(-1.0)
    assert cosine([0.0, 0.0], [1.0, 0.0]) == 0.0  # a zero vector is similar to nothing
    ranked = hits({"a": 0.9, "b": 0.2, "c": 0.1999})
    assert [h.chunk.id for h in above_floor(ranked, 0.2)] == ["a", "b"]  # the floor itself passes
    assert above_floor(ranked, None) == ranked
    assert above_floor(ranked, 0.95) == []
