"""The ChunkIndex access contract (``domain.access``): every adapter applies ``ChunkQuery.access`` inside its
own query, in every search mode, so a caller never gets a chunk outside its documents' access lists and
``top_k`` stays full when enough visible chunks exist."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autbot.domain.access import AccessFilter, AccessList, caller_filter, flags_for
from autbot.domain.model import ChunkQuery, SearchMode, parse_filters
from autbot.ports.chunk_index import ChunkIndex
from tests.support.backends import BACKENDS, EMB, chunks_for, storage

GROUPS = ["finance", "legal", "hr"]
SUBJECTS = ["alice", "bob@example.com", "svc.robot:1"]
WORDS = ["budget", "contract", "salary", "roadmap", "invoice"]
FIN = AccessList(groups=frozenset({"finance"}))


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChunkIndex]:
    with storage(request.param, request, tmp_path) as (chunks, _):
        yield chunks


def fresh(index: ChunkIndex) -> str:
    collection = f"a-{uuid.uuid4().hex[:12]}"
    index.ensure(collection)
    return collection


def put(index: ChunkIndex, name: str, doc: str, texts: list[str], access: AccessList | None, **meta: object) -> None:
    chunks = chunks_for(doc, "v1", texts, **meta, **flags_for(access))
    index.upsert(name, chunks, EMB.embed([c.text for c in chunks]))


def query(text: str, mode: SearchMode, top_k: int, access: AccessFilter | None, **kw: object) -> ChunkQuery:
    vector = () if mode is SearchMode.KEYWORD else EMB.embed([text])[0]
    return ChunkQuery(top_k=top_k, vector=vector, text=text, mode=mode, access=access, **kw)  # type: ignore[arg-type]


def modes(index: ChunkIndex) -> list[SearchMode]:
    return sorted(index.search_modes, key=lambda m: m.value)


@pytest.fixture
def shelf(index: ChunkIndex) -> Iterator[str]:
    """One open document, one for finance, one for alice (by subject), one for legal and bob@example.com."""
    name = fresh(index)
    put(index, name, "open", ["budget roadmap open one", "budget roadmap open two"], None, lang="en")
    put(index, name, "fin", ["budget roadmap finance one", "budget roadmap finance two"], FIN)
    put(index, name, "ali", ["budget roadmap alice"], AccessList(subjects=frozenset({"alice"})), lang="en")
    both = AccessList(groups=frozenset({"legal"}), subjects=frozenset({"bob@example.com"}))
    put(index, name, "leg", ["budget roadmap legal"], both)
    yield name
    index.drop(name)


def seen(index: ChunkIndex, name: str, access: AccessFilter | None, mode: SearchMode, **kw: object) -> set[str]:
    return {h.chunk.document_id for h in index.search(name, query("budget roadmap", mode, 10, access, **kw))}


def test_no_filter_sees_every_document(index: ChunkIndex, shelf: str) -> None:
    for mode in modes(index):
        assert seen(index, shelf, None, mode) == {"open", "fin", "ali", "leg"}


def test_a_caller_sees_open_documents_and_those_its_groups_or_subject_are_listed_on(
    index: ChunkIndex, shelf: str
) -> None:
    cases = {
        (frozenset(), "nobody"): {"open"},
        (frozenset({"finance"}), "nobody"): {"open", "fin"},
        (frozenset(), "alice"): {"open", "ali"},
        (frozenset({"hr"}), "bob@example.com"): {"open", "leg"},
        (frozenset({"finance", "legal"}), "alice"): {"open", "fin", "ali", "leg"},
    }
    for mode in modes(index):
        for (groups, subject), expected in cases.items():
            assert seen(index, shelf, caller_filter(groups=groups, subject=subject), mode) == expected, (mode, groups)


def test_access_combines_with_metadata_filters(index: ChunkIndex, shelf: str) -> None:
    rule = caller_filter(groups=(), subject="alice")
    for mode in modes(index):
        assert seen(index, shelf, rule, mode, filters=parse_filters({"lang": "en"})) == {"open", "ali"}


def test_top_k_stays_full_of_visible_chunks(index: ChunkIndex) -> None:
    """Hidden chunks nearer the query than every visible one: still ``top_k`` visible chunks come back."""
    name = fresh(index)
    try:
        hidden = AccessList(groups=frozenset({"finance"}))
        put(index, name, "secret", [f"budget roadmap {i}" for i in range(12)], hidden)
        put(index, name, "public", [f"budget roadmap salary note {i}" for i in range(5)], None)
        for mode in modes(index):
            hits = index.search(name, query("budget roadmap", mode, 4, caller_filter(groups=(), subject="x")))
            assert [h.chunk.document_id for h in hits] == ["public"] * 4, mode
    finally:
        index.drop(name)


_acl = st.one_of(
    st.none(),
    st.builds(
        AccessList,
        groups=st.frozensets(st.sampled_from(GROUPS), max_size=2),
        subjects=st.frozensets(st.sampled_from(SUBJECTS), max_size=2),
    ).filter(lambda a: bool(a.groups or a.subjects)),
)
_docs = st.lists(
    st.tuples(_acl, st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), min_size=1, max_size=3)),
    min_size=1,
    max_size=6,
)
_caller = st.tuples(st.frozensets(st.sampled_from(GROUPS), max_size=2), st.sampled_from([*SUBJECTS, "mallory"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=_docs, caller=_caller, words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2), k=st.integers(1, 8))
def test_property_no_chunk_reaches_a_caller_outside_its_acl(
    index: ChunkIndex,
    docs: list[tuple[AccessList | None, list[list[str]]]],
    caller: tuple[frozenset[str], str],
    words: list[str],
    k: int,
) -> None:
    rule = caller_filter(groups=caller[0], subject=caller[1])
    name = fresh(index)
    try:
        for i, (acl, texts) in enumerate(docs):
            put(index, name, f"d{i}", [" ".join(t) for t in texts], acl)
        visible = sum(len(texts) for acl, texts in docs if rule.admits(flags_for(acl)))
        for mode in modes(index):
            hits = index.search(name, query(" ".join(words), mode, k, rule))
            assert all(rule.admits(flags_for(docs[int(h.chunk.document_id[1:])][0])) for h in hits), mode
            if mode is SearchMode.VECTOR:
                assert len(hits) == min(k, visible)
    finally:
        index.drop(name)
