"""msgspec Structs of golden sets and evaluations. Types only: what a golden set may hold is checked in the
domain (``domain.golden_sets``), which answers ``invalid_golden_set``."""

from __future__ import annotations

from typing import Literal

import msgspec

from autbot.domain.golden_sets import Evaluation, GenerationFigures, GoldenSet


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=False):
    pass


class GoldenQueryIn(_Body):
    id: str
    text: str


class GoldenSetBody(_Body):
    queries: list[GoldenQueryIn]
    qrels: dict[str, dict[str, int]]
    """Query id -> document id -> grade (0 to ``limits.MAX_RELEVANCE_GRADE``; above 0 is relevant)."""


class GoldenSetOut(_Body):
    collection: str
    queries: list[GoldenQueryIn]
    qrels: dict[str, dict[str, int]]
    judgements: int
    updated_at: float


class GoldenSetStored(_Body):
    collection: str
    queries: int
    judgements: int
    updated_at: float


class EvaluateBody(_Body):
    mode: Literal["vector", "hybrid", "keyword"] | None = None
    """How each golden query is searched; default: ``/search``'s default mode."""


class GenerationOut(_Body):
    queries: int
    ndcg_at_10: float
    recall_at_10: float
    recall_at_100: float
    mrr_at_10: float
    latency_p50_ms: float
    latency_p99_ms: float


class EvaluationOut(_Body):
    id: str
    collection: str
    created_at: float
    mode: str
    generations: dict[str, GenerationOut]


class EvaluationsOut(_Body):
    evaluations: list[EvaluationOut]


def golden_out(collection: str, golden: GoldenSet) -> GoldenSetOut:
    return GoldenSetOut(
        collection=collection,
        queries=[GoldenQueryIn(id=q.id, text=q.text) for q in golden.queries],
        qrels={q: dict(j) for q, j in golden.qrels.items()},
        judgements=golden.judgements,
        updated_at=golden.updated_at,
    )


def stored_out(collection: str, golden: GoldenSet) -> GoldenSetStored:
    return GoldenSetStored(
        collection=collection, queries=len(golden.queries), judgements=golden.judgements, updated_at=golden.updated_at
    )


def _generation(f: GenerationFigures) -> GenerationOut:
    return GenerationOut(
        queries=f.queries,
        ndcg_at_10=f.ndcg_at_10,
        recall_at_10=f.recall_at_10,
        recall_at_100=f.recall_at_100,
        mrr_at_10=f.mrr_at_10,
        latency_p50_ms=f.latency_p50_ms,
        latency_p99_ms=f.latency_p99_ms,
    )


def evaluation_out(e: Evaluation) -> EvaluationOut:
    return EvaluationOut(
        id=e.id,
        collection=e.collection,
        created_at=e.created_at,
        mode=e.mode,
        generations={name: _generation(f) for name, f in e.generations.items()},
    )
