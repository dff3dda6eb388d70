"""Run an evaluation: ingest the corpus (unless the collection already holds it), search every query,
score the rankings (``domain.relevance``) and time both paths."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from autbot.domain import limits
from autbot.domain.model import SearchMode
from autbot.domain.relevance import Quality, evaluate, percentile, unique
from autbot.entrypoints.evaluation.dataset import BeirDataset
from autbot.entrypoints.evaluation.targets import EvalTarget

INGEST_BATCH = 100
"""Documents per ingestion request."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalOptions:
    collection: str
    mode: SearchMode = SearchMode.VECTOR
    alpha: float | None = None
    rerank: bool = False
    min_vector_score: float | None = None
    """The relevance floor of the answer path (``RetrievalOptions.min_vector_score``); None: none, as ``/search``."""
    top_k: int = limits.MAX_TOP_K
    """Chunks asked per query: their distinct documents form the ranking (so Recall@100 is over at most
    100 chunks' documents)."""
    progress: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalReport:
    dataset: str
    documents: int
    queries: int
    collection: str
    mode: str
    alpha: float | None
    rerank: bool
    min_vector_score: float | None
    ingested: bool
    """False when the collection already held the corpus and was reused."""
    ingest_s: float | None
    quality: Quality
    search_p50_ms: float
    search_p99_ms: float


def ingest(target: EvalTarget, dataset: BeirDataset, options: EvalOptions) -> float:
    from tqdm import tqdm

    started = time.perf_counter()
    with tqdm(
        total=len(dataset.corpus), unit="doc", desc="ingest", file=sys.stderr, disable=not options.progress
    ) as bar:
        for start in range(0, len(dataset.corpus), INGEST_BATCH):
            batch = dataset.corpus[start : start + INGEST_BATCH]
            target.ingest(options.collection, batch)
            bar.update(len(batch))
    return time.perf_counter() - started


def run_eval(target: EvalTarget, dataset: BeirDataset, options: EvalOptions) -> EvalReport:
    reuse = target.documents(options.collection) >= len(dataset.corpus) > 0
    ingest_s = None if reuse else ingest(target, dataset, options)
    runs: dict[str, list[str]] = {}
    latencies: list[float] = []
    items = list(dataset.queries.items())
    if items:  # one untimed query first: lazy initialisation is not search latency
        _search(target, items[0][1], options)
    from tqdm import tqdm

    for qid, text in tqdm(items, unit="query", desc="search", file=sys.stderr, disable=not options.progress):
        t = time.perf_counter()
        ranked = _search(target, text, options)
        latencies.append((time.perf_counter() - t) * 1000)
        runs[qid] = unique(ranked)
    return EvalReport(
        dataset=dataset.name,
        documents=len(dataset.corpus),
        queries=len(items),
        collection=options.collection,
        mode=options.mode.value,
        alpha=options.alpha,
        rerank=options.rerank,
        min_vector_score=options.min_vector_score,
        ingested=not reuse,
        ingest_s=ingest_s,
        quality=evaluate(runs, dataset.qrels),
        search_p50_ms=percentile(latencies, 50),
        search_p99_ms=percentile(latencies, 99),
    )


def _search(target: EvalTarget, text: str, options: EvalOptions) -> list[str]:
    return target.search(
        options.collection,
        text,
        top_k=options.top_k,
        mode=options.mode,
        alpha=options.alpha,
        rerank=options.rerank,
        min_vector_score=options.min_vector_score,
    )
