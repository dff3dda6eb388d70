"""The DocumentRegistry contract: the fake, the embedded SQLite registry and a real Weaviate all pass it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from autbot.domain.errors import CollectionNotFound
from autbot.ports.document_registry import DocumentRegistry
from tests.support.backends import BACKENDS, collection_info, record, storage


@pytest.fixture(params=BACKENDS)
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentRegistry]:
    with storage(request.param, request, tmp_path) as (_, registry):
        yield registry


@pytest.fixture
def name(registry: DocumentRegistry) -> Iterator[str]:
    collection = f"c-{uuid.uuid4().hex[:12]}"
    registry.add_collection(collection_info(collection))
    yield collection
    registry.remove_collection(collection)


def test_satisfies_the_protocol(registry: DocumentRegistry) -> None:
    assert isinstance(registry, DocumentRegistry)
    assert registry.health().ok


def test_collection_records(registry: DocumentRegistry) -> None:
    collection = f"c-{uuid.uuid4().hex[:12]}"
    assert registry.get_collection(collection) is None
    stored = registry.add_collection(collection_info(collection, "model-a", 64))
    assert (stored.name, stored.embedding_model, stored.dimension) == (collection, "model-a", 64)
    # the first writer wins: a second add reports the stored record, it never overwrites it
    again = registry.add_collection(collection_info(collection, "model-b", 32))
    assert (again.embedding_model, again.dimension) == ("model-a", 64)
    got = registry.get_collection(collection)
    assert got is not None
    assert (got.embedding_model, got.dimension) == ("model-a", 64)
    assert registry.remove_collection(collection) is True
    assert registry.get_collection(collection) is None
    assert registry.remove_collection(collection) is False


def test_listing_collections_counts_documents(registry: DocumentRegistry) -> None:
    first, second = sorted(f"c-{uuid.uuid4().hex[:12]}" for _ in range(2))
    for n in (first, second):
        registry.add_collection(collection_info(n))
    registry.put_documents([record(first, "a", "v1"), record(first, "b", "v1"), record(second, "c", "v1")])
    listed = {c.name: c for c in registry.list_collections()}
    assert (listed[first].document_count, listed[second].document_count) == (2, 1)
    names = [c.name for c in registry.list_collections()]
    assert names == sorted(names)
    for n in (first, second):
        registry.remove_collection(n)


def test_document_records(registry: DocumentRegistry, name: str) -> None:
    registry.put_documents([record(name, f"doc-{i}", "v1", n=i) for i in range(7)])
    got = registry.get_documents(name, ["doc-1", "doc-5", "missing", "doc-5"])
    assert set(got) == {"doc-1", "doc-5"}
    assert got["doc-5"].metadata == {"n": 5}
    assert (got["doc-5"].title, got["doc-5"].source, got["doc-5"].collection) == ("T doc-5", None, name)
    assert registry.get_documents(name, []) == {}
    page, total = registry.list_documents(name, offset=2, limit=3)
    assert total == 7
    assert [d.id for d in page] == ["doc-2", "doc-3", "doc-4"]
    assert registry.list_documents(name, offset=7, limit=3) == ([], 7)
    assert registry.delete_document(name, "doc-1") is True
    assert registry.delete_document(name, "doc-1") is False
    assert registry.list_documents(name, offset=0, limit=100)[1] == 6


def test_a_record_is_replaced_whole(registry: DocumentRegistry, name: str) -> None:
    registry.put_documents([record(name, "d", "v1", chunks=3, lang="en")])
    before = registry.get_documents(name, ["d"])["d"]
    newer = replace(record(name, "d", "v2", chunks=1, previous="v1"), created_at=before.created_at)
    registry.put_documents([newer])
    got = registry.get_documents(name, ["d"])["d"]
    assert (got.version, got.previous_version, got.chunk_count, got.metadata) == ("v2", "v1", 1, {})
    assert got.created_at == pytest.approx(before.created_at)
    assert got.updated_at == pytest.approx(newer.updated_at)


def test_records_of_a_missing_collection_are_refused(registry: DocumentRegistry) -> None:
    collection = f"c-{uuid.uuid4().hex[:12]}"
    with pytest.raises(CollectionNotFound) as e:
        registry.put_documents([record(collection, "d", "v1")])
    assert e.value.code == "collection_not_found"
    assert registry.get_documents(collection, ["d"]) == {}
    assert registry.list_documents(collection, offset=0, limit=10) == ([], 0)


def test_removing_a_collection_removes_its_records(registry: DocumentRegistry) -> None:
    collection = f"c-{uuid.uuid4().hex[:12]}"
    registry.add_collection(collection_info(collection))
    registry.put_documents([record(collection, "d", "v1")])
    registry.remove_collection(collection)
    registry.add_collection(collection_info(collection))  # the same name again starts empty
    assert registry.get_documents(collection, ["d"]) == {}
    registry.remove_collection(collection)


def test_sqlite_registry_persists_across_reopen(tmp_path: Path) -> None:
    from autbot.adapters.registry.sqlite import SqliteDocumentRegistry

    first = SqliteDocumentRegistry(tmp_path / "r.sqlite3")
    first.add_collection(collection_info("keep"))
    first.put_documents([record("keep", "doc", "v1")])
    first.close()
    again = SqliteDocumentRegistry(tmp_path / "r.sqlite3")
    assert again.get_documents("keep", ["doc"])["doc"].version == "v1"
    assert again.get_collection("keep") is not None
    again.close()
    assert not again.health().ok  # a closed registry reports, it does not raise


def test_replaced_versions_are_listed_until_forgotten(registry: DocumentRegistry, name: str) -> None:
    """A record naming a replaced version is an unfinished replacement: listed until its removal is done."""
    registry.put_documents(
        [record(name, "a", "v2", previous="v1"), record(name, "b", "v1"), record(name, "c", "v3", previous="v2")]
    )
    assert [d.id for d in registry.replaced_documents(name, limit=10)] == ["a", "c"]
    assert [d.id for d in registry.replaced_documents(name, limit=1)] == ["a"]
    a, c = (registry.get_documents(name, [i])[i] for i in ("a", "c"))
    registry.put_documents([record(name, "c", "v4", previous="v3")])  # rewritten since it was read
    registry.forget_replaced([a, c])
    got = registry.get_documents(name, ["a", "c"])
    assert (got["a"].version, got["a"].previous_version) == ("v2", None)
    assert (got["c"].version, got["c"].previous_version) == ("v4", "v3")  # the newer replacement stands
    assert [d.id for d in registry.replaced_documents(name, limit=10)] == ["c"]
    registry.forget_replaced([])
    assert registry.replaced_documents(f"c-{uuid.uuid4().hex[:12]}", limit=10) == []
