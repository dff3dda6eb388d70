from __future__ import annotations

from typing import Protocol, runtime_checkable

from autbot.domain.audit import AuditPage, AuditQuery, AuditRecord
from autbot.domain.model import HealthStatus


@runtime_checkable
class AuditLog(Protocol):
    """An append-only store of audit records: nothing is updated or deleted except by retention pruning.
    Every method raises ``AuditLogUnavailable`` when the store cannot answer."""

    def append(self, record: AuditRecord) -> None: ...

    def query(self, query: AuditQuery) -> AuditPage:
        """Records matching the filters, newest first (ties: the later appended first), one page of them."""
        ...

    def prune(self, before: float) -> int:
        """Delete records whose time is before ``before``; returns how many went."""
        ...

    def health(self) -> HealthStatus: ...
