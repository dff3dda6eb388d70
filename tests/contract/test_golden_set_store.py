"""The GoldenSetStore contract: the fake, the embedded SQLite store and a real Weaviate all pass it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autbot.domain.golden_sets import Evaluation, GenerationFigures, GoldenQuery, GoldenSet
from autbot.ports.golden_set_store import GoldenSetStore
from tests.support.backends import WEAVIATE


@pytest.fixture(params=["memory", "sqlite", pytest.param("weaviate", marks=WEAVIATE)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GoldenSetStore]:
    closers: list[Any] = []
    built: Any
    if request.param == "memory":
        from autbot.adapters.registry.memory_golden_sets import InMemoryGoldenSetStore

        built = InMemoryGoldenSetStore()
    elif request.param == "sqlite":
        from autbot.adapters.registry.sqlite_golden_sets import SqliteGoldenSetStore

        built = SqliteGoldenSetStore(tmp_path / "index" / "registry.sqlite3")
        closers.append(built)
    else:
        from autbot.adapters.weaviate.connection import WeaviateConnection
        from autbot.adapters.weaviate.golden_sets import WeaviateGoldenSetStore

        connection = WeaviateConnection(**request.getfixturevalue("weaviate_node").settings())
        built = WeaviateGoldenSetStore(connection)
        closers.append(connection)
    try:
        yield built
    finally:
        for c in closers:
            c.close()


@pytest.fixture
def name() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


GOLDEN = GoldenSet(
    queries=(GoldenQuery(id="q1", text="what is alpha?"), GoldenQuery(id="q2", text="beta ünïcode")),
    qrels={"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}},
    updated_at=1_700_000_000.5,
)


def evaluation(collection: str, n: int) -> Evaluation:
    figures = GenerationFigures(
        queries=2,
        ndcg_at_10=0.5 + n / 1000,
        recall_at_10=0.25,
        recall_at_100=0.75,
        mrr_at_10=1 / 3,
        latency_p50_ms=1.5,
        latency_p99_ms=9.25,
    )
    return Evaluation(
        id=f"e{n:03d}", collection=collection, created_at=1000.0 + n, mode="vector", generations={"live": figures}
    )


def test_satisfies_the_protocol(store: GoldenSetStore) -> None:
    assert isinstance(store, GoldenSetStore)


def test_a_golden_set_reads_back_whole_and_is_replaced_whole(store: GoldenSetStore, name: str) -> None:
    assert store.get(name) is None
    store.put(name, GOLDEN)
    assert store.get(name) == GOLDEN
    smaller = GoldenSet(queries=(GoldenQuery(id="x", text="y"),), qrels={"x": {"d": 3}}, updated_at=2.0)
    store.put(name, smaller)
    assert store.get(name) == smaller
    assert store.get(name + "-other") is None


def test_evaluations_are_listed_newest_first_and_only_the_newest_kept(store: GoldenSetStore, name: str) -> None:
    for n in range(5):
        store.add_evaluation(evaluation(name, n), keep=3)
    store.add_evaluation(evaluation(name + "-other", 9), keep=3)
    assert store.evaluations(name, limit=10) == [evaluation(name, n) for n in (4, 3, 2)]
    assert store.evaluations(name, limit=1) == [evaluation(name, 4)]
    assert store.evaluations(name + "-none", limit=10) == []


def test_remove_forgets_the_golden_set_and_evaluations_of_one_collection(store: GoldenSetStore, name: str) -> None:
    other = name + "-other"
    for c in (name, other):
        store.put(c, GOLDEN)
        store.add_evaluation(evaluation(c, 1), keep=10)
    store.remove(name)
    store.remove(name + "-never")  # nothing to forget: no error
    assert store.get(name) is None
    assert store.evaluations(name, limit=10) == []
    assert store.get(other) == GOLDEN
    assert store.evaluations(other, limit=10) == [evaluation(other, 1)]
