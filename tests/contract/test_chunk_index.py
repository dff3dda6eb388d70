"""The ChunkIndex contract: the fake, the embedded store (Chroma) and a real Weaviate all pass it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from autbot.domain import limits
from autbot.domain.errors import CollectionNotFound, ConfigurationError, IndexWriteFailed, UnsupportedSearchMode
from autbot.domain.fusion import cosine
from autbot.domain.model import ChunkQuery, MetadataFilter, SearchMode, parse_filters
from autbot.ports.chunk_index import ChunkIndex
from tests.support.backends import BACKENDS, EMB, WEAVIATE, chunk_index_class, chunks_for, storage


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChunkIndex]:
    with storage(request.param, request, tmp_path) as (chunks, _):
        yield chunks


@pytest.fixture
def name(index: ChunkIndex) -> Iterator[str]:
    collection = f"c-{uuid.uuid4().hex[:12]}"
    index.ensure(collection)
    yield collection
    index.drop(collection)


def put(index: ChunkIndex, name: str, doc: str, version: str, texts: list[str], **meta: object) -> None:
    chunks = chunks_for(doc, version, texts, **meta)
    index.upsert(name, chunks, EMB.embed([c.text for c in chunks]))


class QueryOptions(TypedDict, total=False):
    """The ``ChunkQuery`` fields a test may set beside the text and ``top_k``."""

    filters: tuple[MetadataFilter, ...]
    mode: SearchMode
    alpha: float
    min_vector_score: float | None


def near(text: str, top_k: int = 10, **kw: Unpack[QueryOptions]) -> ChunkQuery:
    return ChunkQuery(top_k=top_k, vector=EMB.embed([text])[0], text=text, **kw)


def test_satisfies_the_protocol(index: ChunkIndex) -> None:
    assert isinstance(index, ChunkIndex)
    assert SearchMode.VECTOR in index.search_modes
    assert index.health().ok


def test_ensure_and_drop(index: ChunkIndex) -> None:
    collection = f"c-{uuid.uuid4().hex[:12]}"
    assert index.count(collection) == 0
    assert index.search(collection, near("x")) == []  # unknown: no chunks
    index.ensure(collection)
    index.ensure(collection)  # idempotent
    assert index.search(collection, near("x")) == []
    put(index, collection, "d", "v1", ["some words"])
    assert index.count(collection) == 1
    index.drop(collection)
    assert index.count(collection) == 0
    assert index.search(collection, near("some words")) == []
    index.drop(collection)  # dropping a missing collection is a no-op


def test_writes_to_a_missing_collection_are_refused(index: ChunkIndex) -> None:
    collection = f"c-{uuid.uuid4().hex[:12]}"
    chunks = chunks_for("d", "v1", ["orphan words"])
    with pytest.raises(CollectionNotFound) as e:
        index.upsert(collection, chunks, EMB.embed(["orphan words"]))
    assert e.value.code == "collection_not_found"
    assert index.count(collection) == 0
    index.delete(collection, "d")  # deleting from a missing collection is a no-op
    index.ensure(collection)
    index.drop(collection)
    with pytest.raises(CollectionNotFound):  # nor after it was dropped
        index.upsert(collection, chunks, EMB.embed(["orphan words"]))


def test_upsert_search_and_scores(index: ChunkIndex, name: str) -> None:
    put(index, name, "cats", "v1", ["the cat sat on the mat", "cats purr when happy"], lang="en")
    put(index, name, "dogs", "v1", ["dogs bark at the postman"], lang="en")
    assert index.count(name) == 3
    hits = index.search(name, near("the cat sat on the mat", top_k=2))
    assert len(hits) == 2
    best = hits[0]
    assert (best.chunk.text, best.chunk.document_id, best.chunk.document_version) == (
        "the cat sat on the mat",
        "cats",
        "v1",
    )
    assert best.chunk.position == 0
    assert best.chunk.metadata == {"lang": "en"}
    assert best.score == pytest.approx(1.0, abs=1e-3)
    assert best.score >= hits[1].score
    # writing the same ids again replaces, never duplicates
    put(index, name, "cats", "v1", ["the cat sat on the mat", "cats purr when happy"], lang="en")
    assert index.count(name) == 3


def test_metadata_filters(index: ChunkIndex, name: str) -> None:
    put(index, name, "a", "v1", ["alpha text about rivers"], lang="en", year=2023, draft=False)
    put(index, name, "b", "v1", ["beta text about rivers"], lang="de", year=2024, draft=True)
    put(index, name, "c", "v1", ["gamma text about rivers"], lang="en", year=2024, draft=False)

    def ids(filters: dict[str, object]) -> set[str]:
        query = near("text about rivers", filters=parse_filters(filters))
        return {h.chunk.document_id for h in index.search(name, query)}

    assert ids({"lang": "en"}) == {"a", "c"}
    assert ids({"lang": "en", "year": 2024}) == {"c"}
    assert ids({"year": [2023, 2024]}) == {"a", "b", "c"}
    assert ids({"year": 2024.0}) == {"b", "c"}  # 2024.0 == 2024
    assert ids({"draft": True}) == {"b"}
    assert ids({"lang": "fr"}) == set()
    assert ids({"document_id": "b"}) == {"b"}


def test_the_largest_filters_a_client_may_send_are_answered(index: ChunkIndex, name: str) -> None:
    """Every store takes the worst filters the domain lets through (thousands of keys once crashed Chroma's
    native code): the most keys, each with the most values, the longest strings."""
    keys = range(limits.MAX_FILTER_KEYS)
    put(index, name, "a", "v1", ["text about rivers"], **{f"k{i}": i for i in keys})
    others = list(range(10**6, 10**6 + limits.MAX_FILTER_VALUES - 1))
    widest = parse_filters({f"k{i}": [i, *others] for i in keys})
    longest = parse_filters(
        {f"k{i}": ["x" * limits.MAX_METADATA_STRING_CHARS] * limits.MAX_FILTER_VALUES for i in keys}
    )
    for mode in sorted(index.search_modes):
        assert [h.chunk.document_id for h in index.search(name, near("rivers", filters=widest, mode=mode))] == ["a"]
        assert index.search(name, near("rivers", filters=longest, mode=mode)) == []


def test_delete_keeping_one_version(index: ChunkIndex, name: str) -> None:
    put(index, name, "d", "v1", ["old words one", "old words two"])
    put(index, name, "d", "v2", ["new words"])
    put(index, name, "e", "v1", ["other document"])
    assert index.count(name) == 4
    index.delete(name, "d", keep_version="v2")
    assert index.count(name) == 2
    versions = {h.chunk.document_version for h in index.search(name, near("words")) if h.chunk.document_id == "d"}
    assert versions == {"v2"}
    index.delete(name, "d")
    assert index.count(name) == 1


def _modes(supported: bool) -> list[object]:
    out: list[object] = []
    for param in BACKENDS:
        backend = str(param.values[0])
        modes = chunk_index_class(backend).search_modes
        for mode in SearchMode:
            if (mode in modes) is supported and mode is not SearchMode.VECTOR:
                out.append(pytest.param(backend, mode, marks=param.marks, id=f"{backend}-{mode.value}"))
    return out


@pytest.mark.parametrize(("backend", "mode"), _modes(supported=True))
def test_keyword_and_hybrid_modes_where_declared(
    backend: str, mode: SearchMode, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with storage(backend, request, tmp_path) as (index, _):
        name = f"c-{uuid.uuid4().hex[:12]}"
        index.ensure(name)
        put(index, name, "k1", "v1", ["zebra crossings are striped"])
        put(index, name, "k2", "v1", ["penguins live in antarctica"])
        hits = index.search(name, near("penguins", top_k=5, mode=mode, alpha=0.5))
        assert hits[0].chunk.document_id == "k2"
        assert hits[0].score >= hits[-1].score
        if mode is SearchMode.KEYWORD:  # words that occur nowhere match nothing
            assert index.search(name, near("xylophone", top_k=5, mode=mode)) == []
        index.drop(name)


@pytest.mark.parametrize(("backend", "mode"), _modes(supported=True))
def test_keyword_and_hybrid_honour_filters_versions_and_drops(
    backend: str, mode: SearchMode, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The keyword side is kept in step with every write, delete and drop, and filtered like vectors."""
    with storage(backend, request, tmp_path) as (index, _):
        name = f"c-{uuid.uuid4().hex[:12]}"
        index.ensure(name)
        put(index, name, "a", "v1", ["penguins swim in cold water"], lang="en", year=2024, draft=False)
        put(index, name, "b", "v1", ["penguins waddle on the ice"], lang="de", year=2023, draft=True)

        def found(filters: dict[str, object] | None = None) -> set[tuple[str, str]]:
            query = near("penguins waddle", mode=mode, filters=parse_filters(filters))
            hits = index.search(name, query)
            if mode is SearchMode.HYBRID:
                assert all(-1e-6 <= h.score <= 1 + 1e-6 for h in hits)  # fused scores are on a 0-1 scale
            return {(h.chunk.document_id, h.chunk.document_version) for h in hits}

        assert found() == {("a", "v1"), ("b", "v1")}
        assert found({"lang": "en"}) == {("a", "v1")}
        assert found({"year": [2023.0, 1999.0]}) == {("b", "v1")}
        assert found({"draft": True}) == {("b", "v1")}
        assert found({"document_id": "a"}) == {("a", "v1")}
        best = index.search(name, near("penguins waddle", mode=mode))[0]
        assert (best.chunk.document_id, best.chunk.metadata) == ("b", {"lang": "de", "year": 2023, "draft": True})
        put(index, name, "b", "v2", ["walruses doze on the ice"], lang="de")
        index.delete(name, "b", keep_version="v2")
        assert ("b", "v1") not in found()
        index.drop(name)
        index.ensure(name)
        assert found() == set()
        index.drop(name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_relevance_floor_holds_on_both_sides_of_hybrid(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """``min_vector_score``: no hit less similar to the query than the floor, in vector and hybrid modes; a
    keyword match below it is not fused in. Keyword mode ignores it."""
    with storage(backend, request, tmp_path) as (index, _):
        name = f"c-{uuid.uuid4().hex[:12]}"
        index.ensure(name)
        for doc, text in TEXTS.items():
            put(index, name, doc, "v1", [text])
        query = "penguins swim"
        sims = {doc: cosine(EMB.embed([query])[0], EMB.embed([text])[0]) for doc, text in TEXTS.items()}
        assert sims["close"] > 0.3 > 0.1 > sims["wordy"] > sims["far"]  # the premise: one similar, one only a match

        def docs(mode: SearchMode, floor: float | None) -> set[str]:
            return {h.chunk.document_id for h in index.search(name, near(query, mode=mode, min_vector_score=floor))}

        assert docs(SearchMode.HYBRID, None) == {"close", "wordy", "far"}  # no floor: every vector hit fuses
        assert docs(SearchMode.HYBRID, 0.2) == {"close"}  # "wordy" matches the words, not the meaning
        assert docs(SearchMode.VECTOR, 0.2) == {"close"}
        assert all(h.score >= 0.2 for h in index.search(name, near(query, min_vector_score=0.2)))
        assert docs(SearchMode.HYBRID, 0.9) == set()  # nothing similar enough: words alone bring nothing
        assert docs(SearchMode.VECTOR, 0.9) == set()
        assert docs(SearchMode.KEYWORD, 0.9) == {"close", "wordy"}  # keyword mode has no vector to hold
        index.drop(name)


TEXTS = {
    "close": "penguins swim in cold antarctic water",
    "wordy": "penguins are named once among lorry carpet violin harbour tulip words",
    "far": "dogs bark at the postman",
}


_UNDECLARED = _modes(supported=False)

if _UNDECLARED:  # only generated while some adapter declares fewer modes than SearchMode has

    @pytest.mark.parametrize(("backend", "mode"), _modes(supported=False))
    def test_undeclared_modes_are_refused(
        backend: str, mode: SearchMode, request: pytest.FixtureRequest, tmp_path: Path
    ) -> None:
        with storage(backend, request, tmp_path) as (index, _):
            name = f"c-{uuid.uuid4().hex[:12]}"
            index.ensure(name)
            with pytest.raises(UnsupportedSearchMode) as e:
                index.search(name, near("penguins", mode=mode))
            assert e.value.code == "search_mode_unsupported"
            index.drop(name)


def test_concurrent_reads_during_writes(index: ChunkIndex, name: str) -> None:
    """Readers keep getting answers while a writer replaces chunks."""
    put(index, name, "w", "v0", ["stable text"])
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                assert index.search(name, near("text", top_k=3))
        except BaseException as e:  # collected and re-raised below
            errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    for v in range(1, 6):
        put(index, name, "w", f"v{v}", ["stable text", f"version {v}"])
        index.delete(name, "w", keep_version=f"v{v}")
    stop.set()
    t.join(30)
    assert not errors
    assert index.count(name) == 2


def test_a_partly_bad_batch_is_reported_never_silently_dropped(index: ChunkIndex, name: str) -> None:
    put(index, name, "first", "v1", ["the first write fixes the dimension"])
    chunks = chunks_for("p", "v1", ["good one", "bad one", "good two"])
    vectors = EMB.embed([c.text for c in chunks])
    vectors[1] = vectors[1][:10]  # wrong dimension
    with pytest.raises(IndexWriteFailed) as e:
        index.upsert(name, chunks, vectors)
    assert e.value.code == "index_write_failed"
    assert set(e.value.details) == {"failed_ids"}  # one shape on every adapter
    failed = e.value.details["failed_ids"]
    assert isinstance(failed, list)
    assert chunks[1].id in failed
    stored = {h.chunk.id for h in index.search(name, near("good", top_k=10))}
    assert chunks[1].id not in stored
    for chunk in (chunks[0], chunks[2]):  # each good chunk is stored, or reported as not stored
        assert (chunk.id in stored) != (chunk.id in failed)


def test_embedded_store_is_single_process(tmp_path: Path) -> None:
    from autbot.adapters.chunk_index.chroma import ChromaChunkIndex

    first = ChromaChunkIndex(path=str(tmp_path / "x"))
    with pytest.raises(ConfigurationError, match="single-process"):
        ChromaChunkIndex(path=str(tmp_path / "x"))
    first.close()
    ChromaChunkIndex(path=str(tmp_path / "x")).close()  # free again once closed


def test_embedded_store_persists_across_reopen(tmp_path: Path) -> None:
    from autbot.adapters.chunk_index.chroma import ChromaChunkIndex

    idx = ChromaChunkIndex(path=str(tmp_path / "p"))
    idx.ensure("keep")
    put(idx, "keep", "doc", "v1", ["persisted words"])
    idx.close()
    again = ChromaChunkIndex(path=str(tmp_path / "p"))
    assert again.count("keep") == 1
    assert again.search("keep", near("persisted words", top_k=1))[0].chunk.document_id == "doc"
    again.close()


def test_embedded_store_keyword_indexes_chunks_written_before_it_existed(tmp_path: Path) -> None:
    """A data directory from before the keyword index: its chunks are keyword-indexed on first open."""
    from autbot.adapters.chunk_index.chroma import ChromaChunkIndex

    idx = ChromaChunkIndex(path=str(tmp_path / "p"))
    idx.ensure("old")
    put(idx, "old", "doc", "v1", ["an albatross glides", "over the southern ocean"], lang="en")
    idx.close()
    for leftover in (tmp_path / "p").glob("keywords.sqlite3*"):
        leftover.unlink()
    again = ChromaChunkIndex(path=str(tmp_path / "p"))
    hits = again.search("old", near("albatross", mode=SearchMode.KEYWORD))
    assert [(h.chunk.text, h.chunk.metadata) for h in hits] == [("an albatross glides", {"lang": "en"})]
    again.close()


@pytest.mark.parametrize("backend", [pytest.param("weaviate", marks=WEAVIATE)])
def test_weaviate_never_invents_a_collection_on_write(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Weaviate's auto-schema would create a class on insert; the adapter refuses instead."""
    with storage(backend, request, tmp_path) as (index, _):
        name = f"c-{uuid.uuid4().hex[:12]}"
        with pytest.raises(CollectionNotFound):
            index.upsert(name, chunks_for("d", "v1", ["x"]), EMB.embed(["x"]))
        node = request.getfixturevalue("weaviate_node")
        import httpx

        from autbot.adapters.weaviate.schema import weaviate_name

        schema = httpx.get(f"http://127.0.0.1:{node.http_port()}/v1/schema", timeout=10).json()
        assert weaviate_name(name) not in {c["class"] for c in schema.get("classes") or []}
