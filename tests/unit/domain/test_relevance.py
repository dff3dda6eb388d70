"""The evaluation arithmetic (``domain.relevance``): hand-checked values and properties."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.relevance import evaluate, mrr_at_k, ndcg_at_k, percentile, recall_at_k, unique

doc_ids = st.text(alphabet="abcdefgh", min_size=1, max_size=2)
rankings = st.lists(doc_ids, max_size=30)
qrels = st.dictionaries(doc_ids, st.integers(min_value=0, max_value=3), max_size=10)
ks = st.integers(min_value=1, max_value=40)


def test_hand_checked_values() -> None:
    judged = {"a": 1, "b": 1, "z": 0}
    assert recall_at_k(["x", "a", "y"], judged, 10) == 0.5
    assert mrr_at_k(["x", "a", "b"], judged, 10) == 0.5
    assert mrr_at_k(["x", "a"], judged, 1) == 0.0
    # DCG = 1/log2(3) (a at rank 2); IDCG = 1 + 1/log2(3)
    assert ndcg_at_k(["x", "a"], judged, 10) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    # graded: the ideal puts the grade-2 document first
    assert ndcg_at_k(["b", "a"], {"a": 2, "b": 1}, 10) < ndcg_at_k(["a", "b"], {"a": 2, "b": 1}, 10) == 1.0
    assert ndcg_at_k(["z"], judged, 10) == 0.0  # grade 0 is not relevant


def test_repeated_documents_count_once() -> None:
    assert unique(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]
    assert recall_at_k(["a", "a", "a"], {"a": 1, "b": 1}, 2) == 0.5
    assert ndcg_at_k(["x", "x", "a"], {"a": 1}, 2) == pytest.approx(1 / math.log2(3))


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(101))), 99) == pytest.approx(99.0)
    assert percentile([5.0, 1.0, 3.0], 0) == 1.0
    assert percentile([5.0, 1.0, 3.0], 100) == 5.0


def test_evaluate_averages_over_judged_queries_only() -> None:
    q = evaluate(
        {"q1": ["a"], "q2": ["x"], "unjudged": ["a"]},
        {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}, "nothing": {"a": 0}},
    )
    assert q.queries == 3  # q3 was not run: it counts as an empty ranking
    assert q.ndcg_at_10 == pytest.approx(1 / 3)
    assert q.mrr_at_10 == pytest.approx(1 / 3)
    assert q.recall_at_100 == pytest.approx(1 / 3)
    assert evaluate({}, {}).queries == 0


@given(rankings, qrels, ks)
def test_metrics_are_between_0_and_1(ranked: list[str], judged: dict[str, int], k: int) -> None:
    for fn in (ndcg_at_k, recall_at_k, mrr_at_k):
        assert 0.0 <= fn(ranked, judged, k) <= 1.0 + 1e-12


@given(qrels, ks)
def test_a_perfect_ranking_scores_1(judged: dict[str, int], k: int) -> None:
    relevant = [d for d, g in sorted(judged.items(), key=lambda kv: -kv[1]) if g > 0]
    if not relevant:
        return
    assert ndcg_at_k([*relevant, "zz"], judged, k) == pytest.approx(1.0)
    assert mrr_at_k(relevant, judged, k) == 1.0
    if len(relevant) <= k:
        assert recall_at_k(relevant, judged, k) == 1.0


@given(rankings, qrels, ks, st.randoms())
def test_recall_ignores_the_order_within_the_top_k(
    ranked: list[str], judged: dict[str, int], k: int, rnd: random.Random
) -> None:
    top = unique(ranked)[:k]
    shuffled = list(top)
    rnd.shuffle(shuffled)
    assert recall_at_k(shuffled, judged, k) == recall_at_k(ranked, judged, k)


@given(rankings, qrels, ks)
def test_more_depth_never_lowers_recall(ranked: list[str], judged: dict[str, int], k: int) -> None:
    assert recall_at_k(ranked, judged, k + 1) >= recall_at_k(ranked, judged, k)


@given(rankings, qrels, ks)
def test_irrelevant_documents_appended_change_nothing(ranked: list[str], judged: dict[str, int], k: int) -> None:
    longer = [*ranked, "unjudged-1", "unjudged-2"]
    assert ndcg_at_k(longer, judged, k) == pytest.approx(ndcg_at_k(ranked, judged, k))
    assert mrr_at_k(longer, judged, k) == mrr_at_k(ranked, judged, k)


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_lies_within_the_values(values: list[float], p: float) -> None:
    assert min(values) - 1e-6 <= percentile(values, p) <= max(values) + 1e-6
