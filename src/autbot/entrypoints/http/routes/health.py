"""``/health`` and ``/ready``: liveness and readiness probes (public; details for an admin key)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from autbot.domain.auth import Principal, Scope
from autbot.entrypoints.http.errors.openapi import problem_responses
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.schemas import collections as s
from autbot.entrypoints.http.streaming.draining import Draining
from autbot.use_cases.readiness import CheckReadiness, ReadinessRequest


class HealthController(Controller):
    tags = ["health"]

    @get("/health", summary="Liveness: the process is up.", opt=sec.public(), responses=problem_responses())
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        summary="Readiness: 200 only when the embedder, index and language model answer.",
        description="Anonymous callers see ok/not-ok per dependency; a key with the admin scope also sees details.",
        opt=sec.public(),
        responses={
            **problem_responses(),
            503: ResponseSpec(s.ReadyOut, description="Not ready: which dependency failed."),
        },
    )
    async def ready(
        self,
        check_readiness: NamedDependency[CheckReadiness],
        principal: NamedDependency[Principal],
        draining: NamedDependency[Draining],
    ) -> Response[s.ReadyOut]:
        detailed = principal.authenticated and Scope.ADMIN in principal.scopes
        if draining.started:  # SIGTERM: out of the load balancer at once, before the grace period
            return Response(s.ReadyOut(status="shutting_down", checks={}), status_code=503)
        result = await check_readiness.execute(ReadinessRequest())
        body = s.ReadyOut(
            status="ready" if result.ready else "unavailable",
            checks={k: s.CheckOut(ok=v.ok, detail=v.detail if detailed else None) for k, v in result.checks.items()},
        )
        return Response(body, status_code=200 if result.ready else 503)
