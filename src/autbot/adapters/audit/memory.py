"""Audit records in this process's memory (tests, ``audit.backend = "memory"``)."""

from __future__ import annotations

import threading

from autbot.domain.audit import AuditPage, AuditQuery, AuditRecord
from autbot.domain.model import HealthStatus


class InMemoryAuditLog:
    def __init__(self) -> None:
        self._records: list[AuditRecord] = []  # in append order
        self._lock = threading.Lock()

    def append(self, record: AuditRecord) -> None:
        with self._lock:
            self._records.append(record)

    def query(self, query: AuditQuery) -> AuditPage:
        with self._lock:
            ordered = sorted(enumerate(self._records), key=lambda p: (p[1].time, p[0]), reverse=True)
        matched = [r for _, r in ordered if query.matches(r)]
        return AuditPage(records=matched[query.offset : query.offset + query.limit], total=len(matched))

    def prune(self, before: float) -> int:
        with self._lock:
            kept = [r for r in self._records if r.time >= before]
            gone = len(self._records) - len(kept)
            self._records = kept
        return gone

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail="memory audit log")
