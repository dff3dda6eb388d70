"""One rule each: what a question may be, retrieval options within bounds, a collection's visibility."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain import limits
from autbot.domain.auth import ANONYMOUS, Principal, Scope
from autbot.domain.errors import CollectionNotFound, InvalidEncoding, InvalidInput
from autbot.domain.model import ANSWER_MODE, DEFAULT_FUSION, MetadataFilter, SearchMode
from autbot.domain.retrieval import SEARCH_MODE, RetrievalOptions, chunk_query, question_text

LIMITED = Principal(name="k", scopes=frozenset({Scope.QUERY}), collections=frozenset({"kb"}))


@pytest.mark.parametrize(("field", "word"), [("query", "query"), ("question", "question"), ("messages", "question")])
def test_an_empty_question_is_refused_naming_its_field(field: str, word: str) -> None:
    for raw in ("", " \n\t "):
        with pytest.raises(InvalidInput) as e:
            question_text(raw, field=field)
        assert (e.value.details["field"], e.value.message) == (field, f"The {word} is empty.")


def test_a_question_is_stripped_bounded_and_valid_unicode() -> None:
    assert question_text("  How tall?  ") == "How tall?"
    assert question_text("q" * limits.MAX_QUERY_CHARS) == "q" * limits.MAX_QUERY_CHARS
    with pytest.raises(InvalidInput):
        question_text("q" * (limits.MAX_QUERY_CHARS + 1))
    with pytest.raises(InvalidEncoding):
        question_text("bad \ud800 text")


@given(st.text(max_size=limits.MAX_QUERY_CHARS + 10))
def test_a_checked_question_is_never_empty_nor_too_long(raw: str) -> None:
    try:
        text = question_text(raw)
    except InvalidInput:
        return
    assert text == text.strip()
    assert 1 <= len(text) <= limits.MAX_QUERY_CHARS


def test_options_left_out_take_the_use_cases_defaults() -> None:
    assert RetrievalOptions().defaulted(mode=ANSWER_MODE, top_k=4) == RetrievalOptions(mode=ANSWER_MODE, top_k=4)
    given_ = RetrievalOptions(mode=SearchMode.KEYWORD, top_k=9)
    assert given_.defaulted(mode=ANSWER_MODE, top_k=4) == given_
    query = chunk_query("words", RetrievalOptions(), top_k=5, alpha=0.5, fusion=DEFAULT_FUSION, access=None)
    assert (query.mode, query.top_k, query.alpha, query.min_vector_score) == (SEARCH_MODE, 5, 0.5, None)


def test_chunk_query_keeps_the_options_within_bounds() -> None:
    filters = (MetadataFilter(key="lang", value="en"),)
    options = RetrievalOptions(mode=SearchMode.HYBRID, top_k=3, filters=filters, alpha=0.2, min_vector_score=0.1)
    query = chunk_query("words", options, top_k=5, alpha=0.5, fusion=DEFAULT_FUSION, access=None)
    assert (query.text, query.mode, query.top_k, query.filters, query.alpha, query.min_vector_score) == (
        "words",
        SearchMode.HYBRID,
        3,
        filters,
        0.2,
        0.1,
    )
    for bad, field in (
        (RetrievalOptions(top_k=0), "top_k"),
        (RetrievalOptions(top_k=limits.MAX_TOP_K + 1), "top_k"),
        (RetrievalOptions(alpha=1.5), "alpha"),
        (RetrievalOptions(min_vector_score=-2.0), "min_vector_score"),
    ):
        with pytest.raises(InvalidInput) as e:
            chunk_query("words", bad, top_k=5, alpha=0.5, fusion=DEFAULT_FUSION, access=None)
        assert e.value.details["field"] == field


def test_a_collection_outside_the_keys_list_does_not_exist_whatever_its_name() -> None:
    assert LIMITED.visible_collection("kb") == "kb"
    assert ANONYMOUS.visible_collection("any") == "any"
    for name in ("other", "Not A Name", "../kb"):
        with pytest.raises(CollectionNotFound):
            LIMITED.visible_collection(name)
    with pytest.raises(InvalidInput):  # a key that sees every collection still gets a valid name
        ANONYMOUS.visible_collection("Not A Name")
