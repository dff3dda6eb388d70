"""Audit records as JSON objects (the Redis members and the SQLite ``document_ids`` column)."""

from __future__ import annotations

import json
from typing import Any

from autbot.domain.audit import AuditAction, AuditRecord


def to_json(r: AuditRecord) -> str:
    return json.dumps(to_fields(r), separators=(",", ":"), sort_keys=True)


def to_fields(r: AuditRecord) -> dict[str, Any]:
    return {
        "time": r.time,
        "actor": r.actor,
        "action": r.action.value,
        "outcome": r.outcome,
        "collection": r.collection,
        "document_ids": list(r.document_ids),
        "target": r.target,
        "request_id": r.request_id,
        "client": r.client,
        "issuer": r.issuer,
    }


def from_json(raw: str) -> AuditRecord:
    d = json.loads(raw)
    return AuditRecord(
        time=float(d["time"]),
        actor=str(d["actor"]),
        action=AuditAction(d["action"]),
        outcome=str(d["outcome"]),
        collection=d.get("collection"),
        document_ids=tuple(d.get("document_ids") or ()),
        target=d.get("target"),
        request_id=d.get("request_id"),
        client=d.get("client"),
        issuer=d.get("issuer"),
    )
