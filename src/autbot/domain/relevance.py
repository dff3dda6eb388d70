"""Retrieval quality and latency arithmetic for ``autbot eval`` (pure, standard library only).

Conventions follow BEIR / ``pytrec_eval``: a ranking is a list of document ids, best first; relevance
judgements (qrels) map a document id to a grade, and only grades above 0 count as relevant. NDCG uses
linear gains (the grade) and a ``log2(rank + 1)`` discount, normalised by the ideal ordering of the
judged documents. A ranking that names a document twice counts it once, at its best rank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Qrels = Mapping[str, int]
"""Document id -> relevance grade, for one query."""


def unique(ranked: Iterable[str]) -> list[str]:
    """The ranking with repeats removed (each document at its first, best, rank)."""
    seen: set[str] = set()
    out: list[str] = []
    for doc in ranked:
        if doc not in seen:
            seen.add(doc)
            out.append(doc)
    return out


def _relevant(qrels: Qrels) -> dict[str, int]:
    return {doc: grade for doc, grade in qrels.items() if grade > 0}


def ndcg_at_k(ranked: Sequence[str], qrels: Qrels, k: int) -> float:
    """Normalised discounted cumulative gain of the top ``k``, in [0, 1]; 0 if nothing is relevant."""
    relevant = _relevant(qrels)
    if not relevant or k <= 0:
        return 0.0
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(unique(ranked)[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / idcg


def recall_at_k(ranked: Sequence[str], qrels: Qrels, k: int) -> float:
    """Share of the relevant documents found in the top ``k``, in [0, 1]; 0 if nothing is relevant."""
    relevant = _relevant(qrels)
    if not relevant or k <= 0:
        return 0.0
    return len(relevant.keys() & set(unique(ranked)[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], qrels: Qrels, k: int) -> float:
    """Reciprocal rank of the first relevant document in the top ``k`` (0 if none)."""
    relevant = _relevant(qrels)
    for rank, doc in enumerate(unique(ranked)[:k]):
        if doc in relevant:
            return 1.0 / (rank + 1)
    return 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * min(max(p, 0.0), 100.0) / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True, slots=True, kw_only=True)
class Quality:
    """Mean metrics over the judged queries (those with at least one relevant document)."""

    queries: int
    ndcg_at_10: float
    recall_at_10: float
    recall_at_100: float
    mrr_at_10: float


def evaluate(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Qrels]) -> Quality:
    """Average each metric over the queries that have a relevant document; a judged query that was not
    run counts as an empty ranking (zero)."""
    judged = [q for q, judgements in qrels.items() if _relevant(judgements)]
    if not judged:
        return Quality(queries=0, ndcg_at_10=0.0, recall_at_10=0.0, recall_at_100=0.0, mrr_at_10=0.0)

    def mean(metric: str, k: int) -> float:
        fn = {"ndcg": ndcg_at_k, "recall": recall_at_k, "mrr": mrr_at_k}[metric]
        return sum(fn(runs.get(q, ()), qrels[q], k) for q in judged) / len(judged)

    return Quality(
        queries=len(judged),
        ndcg_at_10=mean("ndcg", 10),
        recall_at_10=mean("recall", 10),
        recall_at_100=mean("recall", 100),
        mrr_at_10=mean("mrr", 10),
    )
