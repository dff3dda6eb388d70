from __future__ import annotations

import string
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.errors import AutbotError, InvalidInput, NotFound
from autbot.domain.ids import chunk_id, content_hash, derive_document_id, object_uuid
from autbot.domain.model import (
    Chunk,
    CollectionName,
    MetadataValue,
    filter_matches,
    parse_filters,
    validate_document_id,
    validate_metadata,
)


def test_error_tree_has_stable_codes() -> None:
    import autbot.domain.errors as errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, AutbotError)]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), "every error class has its own code"
    assert all(c.default_message for c in classes)
    err = NotFound(document_id="x")
    assert (err.code, err.message, err.details) == ("not_found", "Not found.", {"document_id": "x"})


@given(st.from_regex(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?", fullmatch=True))
def test_valid_collection_names_are_accepted(name: str) -> None:
    assert CollectionName(name).value == name


@pytest.mark.parametrize("bad", ["", "-x", "x-", "Upper", "a b", "a/b", "x" * 64, "é", "a.b"])
def test_invalid_collection_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        CollectionName(bad)


def test_derived_ids_are_pinned() -> None:
    """Stores keep these ids: a change to the derivation would orphan every stored document."""
    assert derive_document_id(text="x", source="report-2024_v2.pdf") == "report-2024_v2.pdf"
    assert derive_document_id(text="x", source="My Notes (v2).md") == "My-Notes-v2-.md:86666a725de6c837"
    assert derive_document_id(text="The sky is blue.", source=None) == "doc-52ae4fd504d855f1dd094ab5"
    assert derive_document_id(text="x", source="a" * 120) == "a" * 100 + ":2f3d335432c70b58"
    assert chunk_id("eiffel.md", "0123456789abcdef0123", 3) == "eiffel.md#0123456789abcdef#3"
    assert object_uuid("kb", "eiffel.md", "eiffel.md#0123456789abcdef#0") == "bfb4554a-c80d-5bc6-903f-401dcc83a616"


@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=300))
def test_an_id_derived_from_a_source_is_valid_and_ignores_the_text(text: str, source: str) -> None:
    a = derive_document_id(text=text, source=source)
    assert validate_document_id(a) == a
    assert derive_document_id(text=text + " changed", source=source) == a  # a re-uploaded file updates its document


@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=300))
def test_an_id_derived_from_the_text_is_valid_and_follows_the_text(text: str, other: str) -> None:
    a = derive_document_id(text=text, source=None)
    assert validate_document_id(a) == a
    assert (derive_document_id(text=other, source=None) == a) == (other == text)


@given(st.text(max_size=200), st.text(max_size=200))
def test_content_hash_separates_texts(a: str, b: str) -> None:
    assert (content_hash(a) == content_hash(b)) == (a == b)


@given(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20),
    st.text(alphabet="0123456789abcdef", min_size=16, max_size=64),
    st.integers(0, 10_000),
)
def test_chunk_ids_differ_across_versions_and_positions(doc: str, version: str, pos: int) -> None:
    assert chunk_id(doc, version, pos) != chunk_id(doc, "f" * 16 if version[:16] != "f" * 16 else "e" * 16, pos)
    assert chunk_id(doc, version, pos) != chunk_id(doc, version, pos + 1)
    uid = object_uuid("c", doc, chunk_id(doc, version, pos))
    assert uuid.UUID(uid).version == 5
    assert uid not in {
        object_uuid("d", doc, chunk_id(doc, version, pos)),
        object_uuid("c", doc, chunk_id(doc, version, pos + 1)),
    }


scalars = st.one_of(
    st.text(max_size=20), st.integers(-(10**6), 10**6), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)
)


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), scalars, max_size=8))
def test_valid_metadata_round_trips(meta: dict[str, object]) -> None:
    meta = {k: v for k, v in meta.items() if k not in {"title", "source", "position", "text", "chunk_id"}}
    assert validate_metadata(dict(meta)) == meta


@pytest.mark.parametrize(
    "bad",
    [
        {"nested": {"a": 1}},
        {"1bad": 1},
        {"x": None},
        {"x": [1]},
        {"title": "t"},
        {"x": float("nan")},
        {"x": "y" * 3000},
    ],
)
def test_invalid_metadata_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        validate_metadata(bad)


@given(
    st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), scalars, max_size=5),
    st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), scalars, max_size=3),
)
def test_filters_match_exactly_equal_metadata(meta: dict[str, MetadataValue], wanted: dict[str, object]) -> None:
    chunk = Chunk(id="c", document_id="d", document_version="v", text="t", position=0, metadata=meta)
    expected = all(
        (k in meta and type(meta[k]) is bool is type(v) and meta[k] is v)
        or (k in meta and not isinstance(v, bool) and not isinstance(meta[k], bool) and meta[k] == v)
        for k, v in wanted.items()
    )
    assert filter_matches(parse_filters(wanted), chunk) == expected
    assert filter_matches(parse_filters({}), chunk)


@pytest.mark.parametrize("bad", [{"k": {"$gt": 1}}, {"k": []}, {"k": [1, "a"]}, {"bad key": 1}, {"k": None}])
def test_invalid_filters_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        parse_filters(bad)
