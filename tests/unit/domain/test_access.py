"""The access rule (``domain.access``): lists parsed strictly, stored as flags, read back, and the filter a
principal's queries carry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.access import (
    AccessList,
    access_of,
    caller_filter,
    flags_for,
    parse_access,
    parse_names,
    public_metadata,
)
from autbot.domain.auth import ANONYMOUS, Principal, Scope
from autbot.domain.errors import InvalidInput
from autbot.domain.model import DEFAULT_FUSION, parse_filters, validate_metadata
from autbot.domain.retrieval import RetrievalOptions, chunk_query

NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@+/=|-]{0,20}", fullmatch=True)


def test_parse_access_takes_the_exact_form() -> None:
    got = parse_access({"groups": ["finance"], "subjects": ["alice@example.com"]})
    assert got == AccessList(groups=frozenset({"finance"}), subjects=frozenset({"alice@example.com"}))
    assert parse_access(None) is None


@pytest.mark.parametrize(
    "raw",
    [{}, {"groups": []}, {"groups": ["a b"]}, {"groups": "x"}, {"roles": ["x"]}, [], {"subjects": ["\n"]}],
)
def test_parse_access_refuses_what_is_not_an_access_list(raw: object) -> None:
    with pytest.raises(InvalidInput):
        parse_access(raw)


def test_names_are_bounded() -> None:
    with pytest.raises(InvalidInput):
        parse_names([f"g{i}" for i in range(33)], field="groups")
    with pytest.raises(InvalidInput):
        parse_names(["x" * 257], field="groups")
    assert parse_names("a, b,,", field="groups") == frozenset({"a", "b"})


@given(groups=st.frozensets(NAMES, max_size=4), subjects=st.frozensets(NAMES, max_size=4))
def test_flags_round_trip_and_are_hidden(groups: frozenset[str], subjects: frozenset[str]) -> None:
    acl = AccessList(groups=groups, subjects=subjects) if groups or subjects else None
    meta = {"lang": "en", **flags_for(acl)}
    assert access_of(meta) == acl
    assert public_metadata(meta) == {"lang": "en"}


@given(
    doc_groups=st.frozensets(st.sampled_from("abc"), max_size=2),
    doc_subjects=st.frozensets(st.sampled_from("xyz"), max_size=2),
    groups=st.frozensets(st.sampled_from("abc"), max_size=2),
    subject=st.sampled_from("xyz"),
)
def test_the_rule(
    doc_groups: frozenset[str], doc_subjects: frozenset[str], groups: frozenset[str], subject: str
) -> None:
    acl = AccessList(groups=doc_groups, subjects=doc_subjects) if doc_groups or doc_subjects else None
    admitted = caller_filter(groups=groups, subject=subject).admits(flags_for(acl))
    assert admitted == (acl is None or bool(groups & doc_groups) or subject in doc_subjects)


def test_admins_and_the_open_server_see_everything_others_carry_a_filter() -> None:
    assert Principal(name="root", scopes=frozenset({Scope.ADMIN})).access_filter() is None
    assert ANONYMOUS.access_filter() is None
    reader = Principal(name="alice", scopes=frozenset({Scope.QUERY}), key_id="k1", groups=frozenset({"hr"}))
    assert reader.subject == "alice"
    rule = reader.access_filter()
    assert rule is not None
    assert rule.admits(flags_for(AccessList(subjects=frozenset({"alice"}))))
    assert rule.admits(flags_for(AccessList(groups=frozenset({"hr"}))))
    assert not rule.admits(flags_for(AccessList(groups=frozenset({"finance"}))))


def test_callers_cannot_set_the_flags_as_metadata() -> None:
    for key in ("_acl_restricted", "_acl_g_finance", "_acl_x"):
        with pytest.raises(InvalidInput, match="reserved"):
            validate_metadata({key: True})


def test_callers_cannot_filter_on_the_flags() -> None:
    options = RetrievalOptions(filters=parse_filters({"_acl_g_finance": True}))
    with pytest.raises(InvalidInput, match="reserved"):
        chunk_query("words", options, top_k=5, alpha=0.5, fusion=DEFAULT_FUSION, access=None)
