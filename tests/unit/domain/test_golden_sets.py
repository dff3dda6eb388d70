"""The rules of a golden set (``domain.golden_sets``): every broken rule is ``invalid_golden_set`` naming its field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain import limits
from autbot.domain.errors import InvalidGoldenSet
from autbot.domain.golden_sets import golden_set

QUERIES = [("q1", "what is alpha"), ("q2", "beta")]


def test_a_valid_golden_set_is_kept_whole() -> None:
    g = golden_set(QUERIES, {"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}})
    assert [(q.id, q.text) for q in g.queries] == QUERIES
    assert g.qrels == {"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}}
    assert g.judgements == 3


def test_query_texts_are_stripped() -> None:
    assert golden_set([("q1", "  alpha \n")], {"q1": {"d1": 1}}).queries[0].text == "alpha"


@pytest.mark.parametrize(
    ("queries", "qrels", "field"),
    [
        ([], {"q1": {"d1": 1}}, "queries"),
        ([("q1", "a"), ("q1", "b")], {"q1": {"d1": 1}}, "queries"),
        ([("q 1", "a")], {"q 1": {"d1": 1}}, "queries.id"),
        ([("q1\n", "a")], {"q1\n": {"d1": 1}}, "queries.id"),
        ([("q1", "   ")], {"q1": {"d1": 1}}, "queries.text"),
        ([("q1", "x" * (limits.MAX_QUERY_CHARS + 1))], {"q1": {"d1": 1}}, "queries.text"),
        ([("q1", "a")], {"q2": {"d1": 1}}, "qrels"),
        ([("q1", "a")], {"q1": {"bad id": 1}}, "qrels"),
        ([("q1", "a")], {"q1": {"d1": -1}}, "qrels"),
        ([("q1", "a")], {"q1": {"d1": limits.MAX_RELEVANCE_GRADE + 1}}, "qrels"),
        ([("q1", "a")], {"q1": {"d1": True}}, "qrels"),
        ([("q1", "a")], {"q1": {"d1": 0}}, "qrels"),
        ([("q1", "a")], {}, "qrels"),
    ],
)
def test_broken_rules_name_their_field(queries: Any, qrels: Any, field: str) -> None:
    with pytest.raises(InvalidGoldenSet) as caught:
        golden_set(queries, qrels)
    assert caught.value.code == "invalid_golden_set"
    assert caught.value.details["field"] == field


def test_sizes_are_bounded() -> None:
    many = [(f"q{i}", "text") for i in range(limits.MAX_GOLDEN_QUERIES + 1)]
    with pytest.raises(InvalidGoldenSet, match="at most"):
        golden_set(many, {"q0": {"d": 1}})
    judgements = {f"d{i}": 1 for i in range(limits.MAX_GOLDEN_JUDGEMENTS + 1)}
    with pytest.raises(InvalidGoldenSet, match="judgements"):
        golden_set([("q1", "a")], {"q1": judgements})


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True), st.integers(0, 3), min_size=1))
def test_any_graded_judgements_with_one_relevant_are_kept(judgements: dict[str, int]) -> None:
    judgements = {**judgements, "relevant": 1}
    assert golden_set([("q", "text")], {"q": judgements}).qrels == {"q": judgements}
