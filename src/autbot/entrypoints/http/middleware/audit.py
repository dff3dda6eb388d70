"""One audit record per audited request, written once its outcome is known.

Routes declare their action once, in ``opt`` (``audit=AuditAction...``; ``audit=None`` for a POST that
changes nothing, such as a search). ``AuditedApp`` wraps Litestar's handler (inside the request-id layer),
so it sees every outcome: success, a problem raised by a handler, and a refusal by the auth middleware
(401, 403) alike. It reads the actor from the resolved principal, the collection and document id from the
path, and anything a handler learned (``note_audit``: the ids an ingest stored, the collection a session
was created on). It never reads bodies: no text, question or key reaches a record.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from loguru import logger

from autbot.domain.audit import OK, AuditAction, AuditRecord, actor_of
from autbot.domain.auth import Principal
from autbot.domain.errors import AutbotError
from autbot.entrypoints.observability.middleware import STATE_DISCONNECTED, STATE_ERROR_CODE
from autbot.use_cases.audit import RecordAudit

AUDIT = "audit"
"""The route ``opt`` key naming the route's ``AuditAction`` (None: not audited)."""
STATE_NOTES = "audit_notes"


def audited(action: AuditAction | None) -> dict[str, Any]:
    """The ``opt`` entry of a route: ``sec.ingest(**audited(AuditAction.DOCUMENT_DELETE))``."""
    return {AUDIT: action}


def note_audit(
    connection: ASGIConnection[Any, Any, Any, Any],
    *,
    collection: str | None = None,
    document_ids: tuple[str, ...] = (),
) -> None:
    """What a handler learned that the path does not say (ids only, never text)."""
    state = connection.scope.setdefault("state", {})
    state[STATE_NOTES] = {"collection": collection, "document_ids": document_ids}


class AuditedApp:
    def __init__(self, app: ASGIApp, record: RecordAudit) -> None:
        self.app = app
        self._record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        status = [0]

        async def send_watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        cancelled = False
        try:
            await self.app(scope, receive, send_watch)
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            action = _action(scope)
            if action is not None:
                record = _record(scope, action, status[0])
                if cancelled:  # the server is stopping (or the client left): record now, without awaiting a thread
                    self._write_now(record)
                else:
                    with anyio.CancelScope(shield=True):
                        await anyio.to_thread.run_sync(self._write_now, record)

    def _write_now(self, record: AuditRecord) -> None:
        try:
            self._record.execute(record)
        except AutbotError as e:  # the response is already on its way: say so loudly, never hide the action
            logger.error("Audit record not written ({}): {} {} {}", e.code, record.action, record.actor, record.outcome)


def on_signal(record: RecordAudit, action: AuditAction, signal_name: str) -> None:
    """Record an action a signal started (``signal:<name>`` as the actor); a failing log is reported."""
    try:
        record.execute(AuditRecord(time=time.time(), actor=f"signal:{signal_name}", action=action, outcome=OK))
    except AutbotError as e:
        logger.error("Audit record not written ({}): {} by signal {}", e.code, action, signal_name)


def _action(scope: Scope) -> AuditAction | None:
    handler = scope.get("route_handler")
    if handler is None:
        return None
    action = handler.opt.get(AUDIT)
    return action if isinstance(action, AuditAction) else None


def _record(scope: Scope, action: AuditAction, status: int) -> AuditRecord:
    state: dict[str, Any] = scope.get("state") or {}
    params: dict[str, Any] = scope.get("path_params") or {}
    notes: dict[str, Any] = state.get(STATE_NOTES) or {}
    principal = state.get("principal")
    caller = principal if isinstance(principal, Principal) else None
    document_id = params.get("document_id")
    session_id = params.get("session_id")
    client = scope.get("client")
    return AuditRecord(
        time=time.time(),
        actor=actor_of(caller),
        action=action,
        outcome=_outcome(status, state),
        collection=notes.get("collection") or params.get("collection"),
        document_ids=tuple(notes.get("document_ids") or (() if document_id is None else (str(document_id),))),
        target=None if session_id is None else f"session:{session_id}",
        request_id=state.get("request_id"),
        client=str(client[0]) if client else None,
        issuer=caller.issuer if caller is not None else None,
    )


def _outcome(status: int, state: dict[str, Any]) -> str:
    if status == 0 or state.get(STATE_DISCONNECTED):
        return "client_closed"
    if status < 400:
        return OK
    code = state.get(STATE_ERROR_CODE)
    return str(code) if code else f"http_{status}"
