"""``GET /v1/audit``: query parameters in, records out (the exact form scripts depend on)."""

from __future__ import annotations

import datetime as dt

import msgspec

from autbot.domain.audit import AuditRecord
from autbot.domain.errors import InvalidInput


class AuditRecordOut(msgspec.Struct, kw_only=True):
    time: str
    """When the action finished: ISO 8601, UTC."""
    actor: str
    """``key:<key id>`` for an API key, else the caller's name (``anonymous`` on an open server)."""
    action: str
    collection: str | None
    document_ids: list[str]
    outcome: str
    """``ok`` or the error's stable code."""
    target: str | None
    """What else was acted on: ``key:<key id>``, ``session:<session id>``."""
    request_id: str | None
    client: str | None
    issuer: str | None


class AuditPageOut(msgspec.Struct, kw_only=True):
    records: list[AuditRecordOut]
    total: int


def record_out(r: AuditRecord) -> AuditRecordOut:
    return AuditRecordOut(
        time=iso(r.time),
        actor=r.actor,
        action=r.action.value,
        collection=r.collection,
        document_ids=list(r.document_ids),
        outcome=r.outcome,
        target=r.target,
        request_id=r.request_id,
        client=r.client,
        issuer=r.issuer,
    )


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, tz=dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def instant(raw: str | None, field: str) -> float | None:
    """An ISO 8601 time (``2026-12-03``, ``2026-12-03T18:00:00Z``; UTC when no offset) or seconds since the
    epoch, as seconds since the epoch; None when absent."""
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError as e:
        raise InvalidInput(f"'{field}' is an ISO 8601 time or seconds since the epoch.", field=field) from e
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()
