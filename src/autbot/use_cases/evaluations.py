"""A collection's golden set and the evaluations run on it: retrieval quality (NDCG@10, Recall@100, MRR@10)
and search latency of each generation of the collection's index, stored and listed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from autbot.domain import limits
from autbot.domain.access import AccessFilter
from autbot.domain.auth import Principal
from autbot.domain.errors import CollectionNotFound, GoldenSetNotFound
from autbot.domain.golden_sets import LIVE_GENERATION, Evaluation, GenerationFigures, GoldenSet, golden_set
from autbot.domain.model import SearchHit, SearchMode
from autbot.domain.relevance import evaluate, percentile, unique
from autbot.domain.retrieval import RetrievalOptions
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.golden_set_store import GoldenSetStore
from autbot.use_cases.admission import Admit, admit_all


class Retriever(Protocol):
    """The search of a collection the caller may see (``SearchChunks.retrieve``)."""

    def retrieve(
        self,
        collection: str,
        text: str,
        options: RetrievalOptions,
        *,
        access: AccessFilter | None,
        rerank: bool = False,
    ) -> list[SearchHit]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PutGoldenSetRequest:
    principal: Principal
    collection: str
    queries: Sequence[tuple[str, str]]
    """(id, text) pairs."""
    qrels: Mapping[str, Mapping[str, int]]
    """Query id -> document id -> grade."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GoldenSetRef:
    principal: Principal
    collection: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluateRequest:
    principal: Principal
    collection: str
    mode: SearchMode | None = None
    """How each golden query is searched; None: ``limits.DEFAULT_SEARCH_MODE``."""
    admit: Admit = admit_all
    """Counts the evaluation, one search per golden query, once its access is decided."""


def _existing(registry: DocumentRegistry, principal: Principal, name: str) -> str:
    collection = principal.visible_collection(name)
    if registry.get_collection(collection) is None:
        raise CollectionNotFound(f"Collection '{collection}' does not exist.", collection=collection)
    return collection


def _golden(store: GoldenSetStore, collection: str) -> GoldenSet:
    found = store.get(collection)
    if found is None:
        raise GoldenSetNotFound(f"Collection '{collection}' has no golden set: PUT one first.", collection=collection)
    return found


class PutGoldenSet:
    """Store a collection's golden set, replacing any earlier one.

    Rules:
    - 1 to ``limits.MAX_GOLDEN_QUERIES`` queries with unique ids; each text 1 to ``limits.MAX_QUERY_CHARS``
      characters; ids follow the rule of document ids.
    - At most ``limits.MAX_GOLDEN_JUDGEMENTS`` judgements; grades are 0 to ``limits.MAX_RELEVANCE_GRADE``,
      only grades above 0 count as relevant, and at least one must be.
    - Judged documents need not exist yet: a judgement of a missing document counts as not found.
    - The collection must exist; one outside the key's list does not exist for it (404).
    """

    def __init__(self, *, registry: DocumentRegistry, store: GoldenSetStore, clock: Callable[[], float] = time.time):
        self._registry = registry
        self._store = store
        self._clock = clock

    def execute(self, request: PutGoldenSetRequest) -> GoldenSet:
        collection = _existing(self._registry, request.principal, request.collection)
        golden = replace(golden_set(request.queries, request.qrels), updated_at=self._clock())
        self._store.put(collection, golden)
        return golden


class GetGoldenSet:
    """A collection's golden set (404 ``golden_set_not_found`` when none was stored)."""

    def __init__(self, *, registry: DocumentRegistry, store: GoldenSetStore) -> None:
        self._registry = registry
        self._store = store

    def execute(self, request: GoldenSetRef) -> GoldenSet:
        return _golden(self._store, _existing(self._registry, request.principal, request.collection))


class EvaluateCollection:
    """Run the collection's golden set on each generation of its index and record the figures.

    Rules:
    - Each golden query is searched once (``limits.EVALUATION_TOP_K`` chunks, in ``mode``); the distinct
      documents of the hits, best first, are its ranking. NDCG@10, Recall@10, Recall@100 and MRR@10 are means
      over the judged queries (``domain.relevance``); latency p50/p99 is of those searches.
    - Generations: ``live`` (the one serving reads).
    - The result is stored; the newest ``limits.MAX_STORED_EVALUATIONS`` of a collection are kept.
    - 404 when the collection (or, for this key, its name) or its golden set does not exist.
    """

    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        store: GoldenSetStore,
        search: Retriever,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._registry = registry
        self._store = store
        self._search = search
        self._clock = clock
        self._timer = timer

    async def execute(self, request: EvaluateRequest) -> Evaluation:
        collection = _existing(self._registry, request.principal, request.collection)
        golden = _golden(self._store, collection)
        await request.admit(len(golden.queries))
        mode = request.mode or SearchMode(limits.DEFAULT_SEARCH_MODE)
        access = request.principal.access_filter()  # the collection as the caller sees it (document ACLs)
        figures = await asyncio.to_thread(self._measure, collection, golden, mode, access)
        evaluation = Evaluation(
            id=uuid.uuid4().hex,
            collection=collection,
            created_at=self._clock(),
            mode=mode.value,
            generations={LIVE_GENERATION: figures},
        )
        self._store.add_evaluation(evaluation, keep=limits.MAX_STORED_EVALUATIONS)
        return evaluation

    def _measure(
        self, collection: str, golden: GoldenSet, mode: SearchMode, access: AccessFilter | None
    ) -> GenerationFigures:
        options = RetrievalOptions(mode=mode, top_k=limits.EVALUATION_TOP_K)
        return measure(
            lambda text: self._search.retrieve(collection, text, options, access=access), golden, self._timer
        )


def measure(
    search: Callable[[str], list[SearchHit]], golden: GoldenSet, timer: Callable[[], float] = time.perf_counter
) -> GenerationFigures:
    """One generation's figures on a golden set: ``search`` runs one query (``limits.EVALUATION_TOP_K`` hits)."""
    search(golden.queries[0].text)  # untimed: warm-up
    runs: dict[str, list[str]] = {}
    latencies: list[float] = []
    for query in golden.queries:
        started = timer()
        hits = search(query.text)
        latencies.append((timer() - started) * 1000)
        runs[query.id] = unique(h.chunk.document_id for h in hits)
    quality = evaluate(runs, golden.qrels)
    return GenerationFigures.of(quality, p50_ms=percentile(latencies, 50), p99_ms=percentile(latencies, 99))


class ListEvaluations:
    """The collection's stored evaluations, newest first (at most ``limits.MAX_STORED_EVALUATIONS``)."""

    def __init__(self, *, registry: DocumentRegistry, store: GoldenSetStore) -> None:
        self._registry = registry
        self._store = store

    def execute(self, request: GoldenSetRef) -> list[Evaluation]:
        collection = _existing(self._registry, request.principal, request.collection)
        return self._store.evaluations(collection, limit=limits.MAX_STORED_EVALUATIONS)
