"""``GET /v1/audit``: the audit trail, for ``admin`` keys."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, Parameter

from autbot.domain import limits
from autbot.domain.audit import AuditAction, AuditQuery, parse_action
from autbot.domain.auth import Principal
from autbot.entrypoints.http.errors.openapi import problem_responses
from autbot.entrypoints.http.middleware import auth as sec
from autbot.entrypoints.http.middleware.audit import audited
from autbot.entrypoints.http.schemas.audit import AuditPageOut, instant, record_out
from autbot.entrypoints.http.schemas.openapi_text import described
from autbot.use_cases.audit import AuditQueryRequest, QueryAudit


class AuditController(Controller):
    path = "/v1/audit"
    tags = ["audit"]

    @get(
        "/",
        summary="Audit records, newest first (admin only).",
        description=described(QueryAudit),
        sync_to_thread=True,
        opt=sec.admin(**audited(AuditAction.AUDIT_READ)),
        responses=problem_responses(),
    )
    def list_records(
        self,
        query_audit: NamedDependency[QueryAudit],
        principal: NamedDependency[Principal],
        action: FromQuery[str | None] = None,
        actor: FromQuery[str | None] = None,
        collection: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        offset: Annotated[int, Parameter(ge=0, le=limits.MAX_PAGE_OFFSET)] = 0,
        limit: Annotated[int, Parameter(ge=1, le=limits.MAX_PAGE_SIZE)] = limits.DEFAULT_PAGE_SIZE,
    ) -> AuditPageOut:
        query = AuditQuery(
            action=parse_action(action) if action else None,
            actor=actor or None,
            collection=collection or None,
            since=instant(since, "since"),
            until=instant(until, "until"),
            offset=offset,
            limit=limit,
        )
        page = query_audit.execute(AuditQueryRequest(principal=principal, query=query))
        return AuditPageOut(records=[record_out(r) for r in page.records], total=page.total)
