"""Audit records as log lines (``audit.log_lines``): logger ``autbot.audit``, one line per record, JSON
with ``logging.json``. The fields are the record's own: never document text, questions or secrets."""

from __future__ import annotations

from loguru import logger

from autbot.domain.audit import AuditRecord

AUDIT_LOGGER = "autbot.audit"


def audit_line(r: AuditRecord) -> None:
    fields = {
        "audit_action": r.action.value,
        "actor": r.actor,
        "outcome": r.outcome,
        "collection": r.collection,
        "document_ids": list(r.document_ids),
        "target": r.target,
        "client": r.client,
        "issuer": r.issuer,
    }
    logger.bind(logger_name=AUDIT_LOGGER, **fields).info("audit {} {} {}", r.action.value, r.actor, r.outcome)
