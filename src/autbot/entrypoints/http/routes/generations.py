"""A collection's index generations: re-index it, switch and roll back its live generation (``GET
/v1/collections/{c}``, which lists them, is beside ``DELETE`` in ``routes.collections``)."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from autbot.domain.audit import AuditAction
from autbot.domain.auth import Principal
from autbot.entrypoints.http.errors.openapi import problem_responses
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.audit import audited
from autbot.entrypoints.http.routes.jobs import traceparent_of
from autbot.entrypoints.http.schemas import generations as g
from autbot.entrypoints.http.schemas import jobs as j
from autbot.entrypoints.http.schemas.openapi_text import described
from autbot.use_cases.generations import ActivateGeneration, GenerationRef, RollBack
from autbot.use_cases.reindex import ReindexRequest, SubmitReindex


class GenerationController(Controller):
    path = "/v1/collections"
    tags = ["generations"]

    @post(
        "/{collection:str}/reindex",
        summary="Re-index the collection with another embedding model, as a job; 202 with the job.",
        description=described(SubmitReindex),
        status_code=202,
        opt=sec.admin(**audited(AuditAction.COLLECTION_REINDEX)),
        responses=problem_responses(404, 409, body=True),
    )
    async def reindex(
        self,
        collection: FromPath[str],
        data: JSONBody[g.ReindexBody],
        submit_reindex: NamedDependency[SubmitReindex],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> Response[j.JobOut]:
        ask = ReindexRequest(
            principal=principal,
            collection=collection,
            embedder=data.embedder,
            max_drop=data.max_drop,
            activate=data.activate,
            chunk_size=data.chunk_size,
            chunk_overlap=data.chunk_overlap,
            traceparent=traceparent_of(request),
        )
        job = await anyio.to_thread.run_sync(submit_reindex.execute, ask)
        return Response(j.job_out(job, job.created_at), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})

    @post(
        "/{collection:str}/generations/{number:int}/activate",
        summary="Switch the collection's live generation to a built one, whatever the quality gate said.",
        description=described(ActivateGeneration),
        status_code=200,
        sync_to_thread=True,
        opt=sec.admin(**audited(AuditAction.GENERATION_ACTIVATE)),
        responses=problem_responses(404, 409),
    )
    def activate_generation(
        self,
        collection: FromPath[str],
        number: FromPath[int],
        activate_generation: NamedDependency[ActivateGeneration],
        principal: NamedDependency[Principal],
    ) -> g.GenerationInfoOut:
        ref = GenerationRef(principal=principal, collection=collection, number=number)
        return g.generation_out(activate_generation.execute(ref))

    @post(
        "/{collection:str}/rollback",
        summary="Switch back to the generation that was live before the last switch, while it is kept.",
        description=described(RollBack),
        status_code=200,
        sync_to_thread=True,
        opt=sec.admin(**audited(AuditAction.COLLECTION_ROLLBACK)),
        responses=problem_responses(404, 409),
    )
    def roll_back(
        self,
        collection: FromPath[str],
        roll_back: NamedDependency[RollBack],
        principal: NamedDependency[Principal],
    ) -> g.GenerationInfoOut:
        return g.generation_out(roll_back.execute(GenerationRef(principal=principal, collection=collection)))
