"""Golden sets and evaluations of a collection: handlers translate between msgspec Structs and the use cases."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from autbot.domain.audit import AuditAction
from autbot.domain.auth import Principal
from autbot.domain.golden_sets import Evaluation
from autbot.domain.model import SearchMode
from autbot.entrypoints.http.errors.openapi import problem_responses
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.audit import audited
from autbot.entrypoints.http.middleware.auth import principal_of
from autbot.entrypoints.http.middleware.rate_limits import gate_of, limited
from autbot.entrypoints.http.schemas import evaluations as s
from autbot.entrypoints.http.schemas.openapi_text import described
from autbot.entrypoints.observability.telemetry import Telemetry
from autbot.use_cases.evaluations import (
    EvaluateCollection,
    EvaluateRequest,
    GetGoldenSet,
    GoldenSetRef,
    ListEvaluations,
    PutGoldenSet,
    PutGoldenSetRequest,
)


class EvaluationController(Controller):
    path = "/v1/collections"
    tags = ["evaluations"]

    @put(
        "/{collection:str}/golden-set",
        summary="Store the collection's golden set (queries and graded relevance judgements).",
        description=described(PutGoldenSet),
        sync_to_thread=True,
        opt=sec.ingest(**audited(AuditAction.GOLDEN_SET_PUT)),
        responses=problem_responses(404, body=True),
    )
    def put_golden_set(
        self,
        collection: FromPath[str],
        data: JSONBody[s.GoldenSetBody],
        put_golden_set: NamedDependency[PutGoldenSet],
        principal: NamedDependency[Principal],
    ) -> s.GoldenSetStored:
        request = PutGoldenSetRequest(
            principal=principal,
            collection=collection,
            queries=[(q.id, q.text) for q in data.queries],
            qrels=data.qrels,
        )
        return s.stored_out(collection, put_golden_set.execute(request))

    @get(
        "/{collection:str}/golden-set",
        summary="The collection's golden set.",
        sync_to_thread=True,
        opt=sec.query(),
        responses=problem_responses(404),
    )
    def get_golden_set(
        self,
        collection: FromPath[str],
        get_golden_set: NamedDependency[GetGoldenSet],
        principal: NamedDependency[Principal],
    ) -> s.GoldenSetOut:
        found = get_golden_set.execute(GoldenSetRef(principal=principal, collection=collection))
        return s.golden_out(collection, found)

    @post(
        "/{collection:str}/evaluations",
        summary="Run the golden set on each generation of the collection: NDCG@10, Recall@100, MRR@10, latency.",
        description=described(EvaluateCollection),
        status_code=200,
        opt=sec.ingest(**limited("search", charged=True), **audited(AuditAction.EVALUATION_RUN)),  # a search a query
        responses=problem_responses(404, 409, body=True),
    )
    async def evaluate(
        self,
        collection: FromPath[str],
        evaluate_collection: NamedDependency[EvaluateCollection],
        telemetry: NamedDependency[Telemetry],
        request: Request[Any, Any, Any],
        data: JSONBody[s.EvaluateBody | None] = None,
    ) -> s.EvaluationOut:
        mode = None if data is None or data.mode is None else SearchMode(data.mode)
        ask = EvaluateRequest(principal=principal_of(request), collection=collection, mode=mode, admit=gate_of(request))
        evaluation = await evaluate_collection.execute(ask)
        _export(telemetry, evaluation)
        return s.evaluation_out(evaluation)

    @get(
        "/{collection:str}/evaluations",
        summary="The collection's stored evaluations, newest first.",
        sync_to_thread=True,
        opt=sec.query(),
        responses=problem_responses(404),
    )
    def list_evaluations(
        self,
        collection: FromPath[str],
        list_evaluations: NamedDependency[ListEvaluations],
        principal: NamedDependency[Principal],
    ) -> s.EvaluationsOut:
        found = list_evaluations.execute(GoldenSetRef(principal=principal, collection=collection))
        return s.EvaluationsOut(evaluations=[s.evaluation_out(e) for e in found])


def _export(telemetry: Telemetry, evaluation: Evaluation) -> None:
    """The latest figures as gauges (``autbot_evaluation_score``, ``autbot_evaluation_search_latency_seconds``)."""
    for generation, f in evaluation.generations.items():
        scores = {
            "ndcg_at_10": f.ndcg_at_10,
            "recall_at_10": f.recall_at_10,
            "recall_at_100": f.recall_at_100,
            "mrr_at_10": f.mrr_at_10,
        }
        p50, p99 = f.latency_p50_ms / 1000, f.latency_p99_ms / 1000
        telemetry.metrics.evaluated(evaluation.collection, generation, scores, p50, p99)
