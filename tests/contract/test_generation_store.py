"""The GenerationStore contract: the fake (beside the in-memory registry), the embedded SQLite store and a real
Weaviate all pass it. The switch writes the collection's record (model, dimension, live number) with the
generation records; source texts are kept per document, the latest version only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from autbot.domain.errors import CollectionNotFound
from autbot.domain.generations import Generation, GenerationState
from autbot.domain.golden_sets import GenerationFigures
from autbot.domain.model import CollectionInfo
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.generation_store import GenerationStore
from tests.support.backends import WEAVIATE


@pytest.fixture(params=["memory", "sqlite", pytest.param("weaviate", marks=WEAVIATE)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[GenerationStore, DocumentRegistry]]:
    closers: list[Any] = []
    store: Any
    registry: Any
    if request.param == "memory":
        from autbot.adapters.registry.memory import InMemoryDocumentRegistry
        from autbot.adapters.registry.memory_generations import InMemoryGenerationStore

        registry = InMemoryDocumentRegistry()
        store = InMemoryGenerationStore(registry)
    elif request.param == "sqlite":
        from autbot.adapters.registry.sqlite import SqliteDocumentRegistry
        from autbot.adapters.registry.sqlite_generations import SqliteGenerationStore

        path = tmp_path / "registry.sqlite3"
        registry, store = SqliteDocumentRegistry(path), SqliteGenerationStore(path)
        closers += [registry, store]
    else:
        from autbot.adapters.weaviate.connection import WeaviateConnection
        from autbot.adapters.weaviate.generations import WeaviateGenerationStore
        from autbot.adapters.weaviate.registry import WeaviateDocumentRegistry

        connection = WeaviateConnection(**request.getfixturevalue("weaviate_node").settings())
        registry, store = WeaviateDocumentRegistry(connection), WeaviateGenerationStore(connection)
        closers.append(connection)
    try:
        yield store, registry
    finally:
        for c in closers:
            c.close()


@pytest.fixture
def name() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


FIGURES = GenerationFigures(
    queries=3, ndcg_at_10=0.5, recall_at_10=0.4, recall_at_100=0.9, mrr_at_10=0.6, latency_p50_ms=1, latency_p99_ms=2
)


def generation(collection: str, number: int, state: GenerationState, **kw: Any) -> Generation:
    model, dimension = ("m-new", 8) if number else ("m-old", 4)
    return Generation(
        collection=collection,
        number=number,
        embedding_model=model,
        dimension=dimension,
        state=state,
        created_at=1_700_000_000.0 + number,
        **kw,
    )


def test_records_are_stored_whole_and_listed_by_number(
    stores: tuple[GenerationStore, DocumentRegistry], name: str
) -> None:
    store, registry = stores
    registry.add_collection(CollectionInfo(name=name, embedding_model="m-old", dimension=4))
    assert store.generations(name) == []
    building = generation(name, 1, GenerationState.BUILDING, job_id="job_x", figures=FIGURES, reason="why")
    store.put_generation(building)
    store.put_generation(generation(name, 0, GenerationState.LIVE, activated_at=5.0))
    assert [g.number for g in store.generations(name)] == [0, 1]
    assert store.generations(name)[1] == building
    store.remove_generation(name, 1)
    assert [g.number for g in store.generations(name)] == [0]


def test_a_switch_moves_the_collections_record_and_the_states_at_once(
    stores: tuple[GenerationStore, DocumentRegistry], name: str
) -> None:
    store, registry = stores
    registry.add_collection(CollectionInfo(name=name, embedding_model="m-old", dimension=4))
    old = generation(name, 0, GenerationState.LIVE)
    new = generation(name, 1, GenerationState.BUILDING)
    store.put_generation(old)
    store.put_generation(new)
    store.switch(replace(new, state=GenerationState.LIVE), [replace(old, state=GenerationState.PREVIOUS)])
    info = registry.get_collection(name)
    assert info is not None
    assert (info.embedding_model, info.dimension, info.generation) == ("m-new", 8, 1)
    assert [g.state for g in store.generations(name)] == [GenerationState.PREVIOUS, GenerationState.LIVE]
    assert [c.generation for c in registry.list_collections() if c.name == name] == [1]


def test_a_switch_of_an_unrecorded_collection_is_refused(
    stores: tuple[GenerationStore, DocumentRegistry], name: str
) -> None:
    store, _ = stores
    with pytest.raises(CollectionNotFound):
        store.switch(generation(name, 1, GenerationState.LIVE), [])


def test_source_texts_keep_the_latest_version_per_document(
    stores: tuple[GenerationStore, DocumentRegistry], name: str
) -> None:
    store, _ = stores
    text = "Ünïcode text, with a long tail. " * 200
    store.put_source(name, "a", "v1", "first")
    store.put_source(name, "a", "v2", text)
    store.put_source(name, "b", "v1", "bee")
    assert store.sources(name, ["a", "b", "missing"]) == {"a": ("v2", text), "b": ("v1", "bee")}
    store.remove_sources(name, ["a"])
    assert store.sources(name, ["a", "b"]) == {"b": ("v1", "bee")}
    store.remove_sources(name)
    assert store.sources(name, ["b"]) == {}
    assert store.sources(name, []) == {}
