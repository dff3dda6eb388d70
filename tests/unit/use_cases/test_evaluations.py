"""Golden sets and evaluations over fakes: known rankings give known figures, and the rules of access."""

from __future__ import annotations

import asyncio
import math

import pytest

from autbot.adapters.registry.memory import InMemoryDocumentRegistry
from autbot.adapters.registry.memory_golden_sets import InMemoryGoldenSetStore
from autbot.domain import limits
from autbot.domain.access import AccessFilter
from autbot.domain.auth import ANONYMOUS, Principal, Scope
from autbot.domain.errors import CollectionNotFound, GoldenSetNotFound, InvalidGoldenSet
from autbot.domain.model import Chunk, CollectionInfo, DocumentInput, SearchHit, SearchMode
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.evaluations import (
    EvaluateCollection,
    EvaluateRequest,
    GetGoldenSet,
    GoldenSetRef,
    ListEvaluations,
    PutGoldenSet,
    PutGoldenSetRequest,
)
from tests.support.fakes import World

RANKINGS = {"alpha": ["d2", "d1", "d2"], "beta": ["d3"]}
"""What the fake search finds, by query text: document ids of the hits, best first (repeats as chunks do)."""


class FixedSearch:
    def __init__(self) -> None:
        self.calls: list[tuple[str, RetrievalOptions]] = []

    def retrieve(
        self,
        collection: str,
        text: str,
        options: RetrievalOptions,
        *,
        access: AccessFilter | None,
        rerank: bool = False,
    ) -> list[SearchHit]:
        self.calls.append((text, options))
        return [_hit(doc, i) for i, doc in enumerate(RANKINGS.get(text, []))]


def _hit(doc: str, i: int) -> SearchHit:
    chunk = Chunk(id=f"{doc}-{i}", document_id=doc, document_version="v", text="t", position=i)
    return SearchHit(chunk=chunk, score=1.0 - i / 10)


class Ticks:
    """A timer that advances 2 ms per reading pair: every search takes 2 ms."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.001
        return self.now


@pytest.fixture
def registry() -> InMemoryDocumentRegistry:
    r = InMemoryDocumentRegistry()
    r.add_collection(CollectionInfo(name="kb", embedding_model="m", dimension=4))
    return r


@pytest.fixture
def store() -> InMemoryGoldenSetStore:
    return InMemoryGoldenSetStore()


def put(registry: InMemoryDocumentRegistry, store: InMemoryGoldenSetStore, who: Principal = ANONYMOUS) -> None:
    request = PutGoldenSetRequest(
        principal=who,
        collection="kb",
        queries=[("q1", "alpha"), ("q2", "beta")],
        qrels={"q1": {"d1": 1}, "q2": {"d3": 2, "d4": 1}},
    )
    PutGoldenSet(registry=registry, store=store, clock=lambda: 123.0).execute(request)


def test_known_rankings_give_known_figures(registry: InMemoryDocumentRegistry, store: InMemoryGoldenSetStore) -> None:
    put(registry, store)
    search = FixedSearch()
    evaluate = EvaluateCollection(registry=registry, store=store, search=search, clock=lambda: 5.0, timer=Ticks())
    result = asyncio.run(evaluate.execute(EvaluateRequest(principal=ANONYMOUS, collection="kb")))
    live = result.generations["live"]
    ndcg_q1 = (1 / math.log2(3)) / 1.0  # d1 at rank 2
    ndcg_q2 = 2.0 / (2.0 + 1 / math.log2(3))  # d3 (grade 2) first, d4 missing
    assert live.queries == 2
    assert live.ndcg_at_10 == pytest.approx((ndcg_q1 + ndcg_q2) / 2)
    assert live.recall_at_100 == pytest.approx((1.0 + 0.5) / 2)
    assert live.mrr_at_10 == pytest.approx((0.5 + 1.0) / 2)
    assert live.latency_p50_ms == pytest.approx(1.0)
    assert result.mode == limits.DEFAULT_SEARCH_MODE
    assert result.created_at == 5.0
    assert all(o.top_k == limits.EVALUATION_TOP_K for _, o in search.calls)
    assert len(search.calls) == 3  # one untimed warm-up, then each query once
    listed = ListEvaluations(registry=registry, store=store).execute(GoldenSetRef(principal=ANONYMOUS, collection="kb"))
    assert listed == [result]


def test_a_tiny_corpus_searched_for_real_scores_perfectly() -> None:
    world = World()
    words = {"d1": "astronomy telescopes orbit", "d2": "gardening tomatoes soil", "d3": "sailing harbour wind"}
    world.add("kb", *(DocumentInput(id=i, text=t) for i, t in words.items()))
    store = InMemoryGoldenSetStore()
    queries = [("q1", "tomatoes"), ("q2", "telescopes"), ("q3", "harbour")]
    qrels = {"q1": {"d2": 1}, "q2": {"d1": 1}, "q3": {"d3": 1}}
    PutGoldenSet(registry=world.registry, store=store).execute(
        PutGoldenSetRequest(principal=ANONYMOUS, collection="kb", queries=queries, qrels=qrels)
    )
    evaluate = EvaluateCollection(registry=world.registry, store=store, search=world.search)
    ask = EvaluateRequest(principal=ANONYMOUS, collection="kb", mode=SearchMode.KEYWORD)
    live = asyncio.run(evaluate.execute(ask)).generations["live"]
    assert (live.ndcg_at_10, live.recall_at_100, live.mrr_at_10) == (1.0, 1.0, 1.0)


def test_the_evaluation_is_admitted_once_with_one_search_per_query(
    registry: InMemoryDocumentRegistry, store: InMemoryGoldenSetStore
) -> None:
    put(registry, store)
    costs: list[int] = []

    async def admit(cost: int) -> None:
        costs.append(cost)

    evaluate = EvaluateCollection(registry=registry, store=store, search=FixedSearch())
    asyncio.run(evaluate.execute(EvaluateRequest(principal=ANONYMOUS, collection="kb", admit=admit)))
    assert costs == [2]


def test_missing_collection_and_golden_set_are_404s(
    registry: InMemoryDocumentRegistry, store: InMemoryGoldenSetStore
) -> None:
    evaluate = EvaluateCollection(registry=registry, store=store, search=FixedSearch())
    with pytest.raises(GoldenSetNotFound):
        asyncio.run(evaluate.execute(EvaluateRequest(principal=ANONYMOUS, collection="kb")))
    with pytest.raises(GoldenSetNotFound):
        GetGoldenSet(registry=registry, store=store).execute(GoldenSetRef(principal=ANONYMOUS, collection="kb"))
    with pytest.raises(CollectionNotFound):
        asyncio.run(evaluate.execute(EvaluateRequest(principal=ANONYMOUS, collection="nope")))
    with pytest.raises(CollectionNotFound):
        PutGoldenSet(registry=registry, store=store).execute(
            PutGoldenSetRequest(principal=ANONYMOUS, collection="nope", queries=[("q", "a")], qrels={"q": {"d": 1}})
        )


def test_a_collection_outside_the_keys_list_does_not_exist_for_it(
    registry: InMemoryDocumentRegistry, store: InMemoryGoldenSetStore
) -> None:
    put(registry, store)
    other = Principal(name="other", scopes=frozenset(Scope), collections=frozenset({"elsewhere"}))
    with pytest.raises(CollectionNotFound):
        GetGoldenSet(registry=registry, store=store).execute(GoldenSetRef(principal=other, collection="kb"))
    with pytest.raises(CollectionNotFound):
        put(registry, store, other)
    evaluate = EvaluateCollection(registry=registry, store=store, search=FixedSearch())
    with pytest.raises(CollectionNotFound):
        asyncio.run(evaluate.execute(EvaluateRequest(principal=other, collection="kb")))


def test_an_invalid_golden_set_replaces_nothing(
    registry: InMemoryDocumentRegistry, store: InMemoryGoldenSetStore
) -> None:
    put(registry, store)
    bad = PutGoldenSetRequest(principal=ANONYMOUS, collection="kb", queries=[("q1", "a")], qrels={"q9": {"d": 1}})
    with pytest.raises(InvalidGoldenSet):
        PutGoldenSet(registry=registry, store=store).execute(bad)
    kept = GetGoldenSet(registry=registry, store=store).execute(GoldenSetRef(principal=ANONYMOUS, collection="kb"))
    assert [q.id for q in kept.queries] == ["q1", "q2"]
    assert kept.updated_at == 123.0


def test_deleting_the_collection_forgets_its_golden_set() -> None:
    from autbot.use_cases.documents import CollectionRef, DeleteCollection

    world = World()
    world.add("kb", DocumentInput(id="d1", text="words"))
    store = InMemoryGoldenSetStore()
    request = PutGoldenSetRequest(principal=ANONYMOUS, collection="kb", queries=[("q", "w")], qrels={"q": {"d1": 1}})
    PutGoldenSet(registry=world.registry, store=store).execute(request)
    DeleteCollection(registry=world.registry, chunks=world.chunks, golden_sets=store).execute(
        CollectionRef(principal=ANONYMOUS, collection="kb")
    )
    assert store.get("kb") is None
