"""The audit trail's vocabulary: what was done, by whom, to what, with which outcome (stdlib only).

A record never holds document text, questions, answers, keys or any other secret: only names and ids
(the actor, a collection, document ids), an action from ``AuditAction``, an outcome (``ok`` or a stable
error code), the request id and the client address.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from autbot.domain import limits
from autbot.domain.auth import Principal
from autbot.domain.errors import InvalidInput

OK = "ok"
"""The outcome of an action that succeeded; any other outcome is the error's stable code."""
SECONDS_PER_DAY = 86_400


class AuditAction(enum.StrEnum):
    """The fixed vocabulary of audited actions (``<object>.<verb>``)."""

    DOCUMENTS_INGEST = "documents.ingest"
    FILES_INGEST = "files.ingest"
    DOCUMENT_DELETE = "document.delete"
    COLLECTION_DELETE = "collection.delete"
    GOLDEN_SET_PUT = "golden_set.put"
    EVALUATION_RUN = "evaluation.run"
    JOB_SUBMIT = "job.submit"
    JOB_CANCEL = "job.cancel"
    COLLECTION_REINDEX = "collection.reindex"
    GENERATION_ACTIVATE = "generation.activate"
    COLLECTION_ROLLBACK = "collection.rollback"
    KEY_CREATE = "key.create"
    KEY_REVOKE = "key.revoke"
    KEYS_LIST = "keys.list"
    SESSION_CREATE = "session.create"
    SESSION_DELETE = "session.delete"
    SESSION_MESSAGE = "session.message"
    METRICS_READ = "metrics.read"
    AUDIT_READ = "audit.read"
    SECRETS_REFRESH = "secrets.refresh"
    """Secrets re-read at run time (SIGHUP); the actor is ``signal:SIGHUP``."""


def parse_action(raw: str) -> AuditAction:
    try:
        return AuditAction(raw)
    except ValueError as e:
        valid = ", ".join(a.value for a in AuditAction)
        raise InvalidInput(f"Unknown audit action '{raw}'; actions are {valid}.", field="action") from e


def actor_of(principal: Principal | None) -> str:
    """Who a record names: ``key:<key id>`` for a key, ``oidc:<subject>`` for an OIDC token (its issuer goes in
    the record's ``issuer``), else the principal's name (``anonymous`` on an open server); ``unauthenticated``
    when no caller was resolved (a wrong key)."""
    if principal is None:
        return "unauthenticated"
    return f"oidc:{principal.name}" if principal.issuer is not None else principal.owner


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    time: float
    """Seconds since the epoch (UTC) when the action finished."""
    actor: str
    action: AuditAction
    outcome: str
    """``ok`` or the error's stable code (``forbidden``, ``collection_not_found``, ``http_500``...)."""
    collection: str | None = None
    document_ids: tuple[str, ...] = ()
    target: str | None = None
    """What else was acted on, by id: ``key:<key id>`` (key actions), ``session:<session id>``."""
    request_id: str | None = None
    client: str | None = None
    """The client's address as the server saw it."""
    issuer: str | None = None
    """The identity provider that vouched for ``actor`` (an OIDC issuer); None for keys."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """Filters (each optional, all applied together) and a page; newest records first."""

    action: AuditAction | None = None
    actor: str | None = None
    collection: str | None = None
    since: float | None = None
    until: float | None = None
    offset: int = 0
    limit: int = limits.DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        if not 0 <= self.offset <= limits.MAX_PAGE_OFFSET:
            raise InvalidInput(f"offset must be 0-{limits.MAX_PAGE_OFFSET}.", field="offset")
        if not 1 <= self.limit <= limits.MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be 1-{limits.MAX_PAGE_SIZE}.", field="limit")

    def matches(self, r: AuditRecord) -> bool:
        """Whether ``r`` passes the filters (stores that cannot filter natively use this)."""
        return (
            (self.action is None or r.action == self.action)
            and (self.actor is None or r.actor == self.actor)
            and (self.collection is None or r.collection == self.collection)
            and (self.since is None or r.time >= self.since)
            and (self.until is None or r.time < self.until)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditPage:
    records: list[AuditRecord]
    total: int
    """Records matching the filters, on every page."""


def retention_cutoff(now: float, retention_days: int) -> float:
    """Records older than this are pruned."""
    return now - retention_days * SECONDS_PER_DAY
