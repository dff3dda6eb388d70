"""Writing and reading the audit trail."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from autbot.domain import limits
from autbot.domain.audit import AuditPage, AuditQuery, AuditRecord, retention_cutoff
from autbot.domain.auth import Principal, Scope
from autbot.ports.audit_log import AuditLog


class RecordAudit:
    """Append one record per audited action.

    - Records older than the retention are pruned at start-up (``prune``) and, at most once per
      ``limits.AUDIT_PRUNE_EVERY_S``, by an append.
    - ``also`` receives every record appended (the JSON log line of ``audit.log_lines``).
    """

    def __init__(
        self,
        log: AuditLog,
        *,
        retention_days: int = limits.AUDIT_RETENTION_DAYS,
        also: Callable[[AuditRecord], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._log = log
        self._retention_days = retention_days
        self._also = also
        self._clock = clock
        self._pruned_at = float("-inf")
        self._lock = threading.Lock()

    def execute(self, record: AuditRecord) -> None:
        self._log.append(record)
        if self._also is not None:
            self._also(record)
        if self._clock() - self._pruned_at >= limits.AUDIT_PRUNE_EVERY_S:
            self.prune()

    def prune(self) -> int:
        """Drop records older than the retention now; returns how many went."""
        with self._lock:
            now = self._clock()
            self._pruned_at = now
        return self._log.prune(retention_cutoff(now, self._retention_days))


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQueryRequest:
    principal: Principal
    query: AuditQuery


class QueryAudit:
    """Read the audit trail: ``admin`` only (403 ``forbidden`` otherwise); newest records first, filtered
    by action, actor, collection and time range, one page at a time, with the total matching."""

    def __init__(self, log: AuditLog) -> None:
        self._log = log

    def execute(self, request: AuditQueryRequest) -> AuditPage:
        request.principal.require(Scope.ADMIN)
        return self._log.query(request.query)
