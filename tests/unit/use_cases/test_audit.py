"""Writing and reading the audit trail: retention, the extra sink, admin-only reads."""

from __future__ import annotations

import pytest

from autbot.adapters.audit.memory import InMemoryAuditLog
from autbot.domain import limits
from autbot.domain.audit import OK, SECONDS_PER_DAY, AuditAction, AuditQuery, AuditRecord, actor_of
from autbot.domain.auth import ANONYMOUS, Principal, Scope
from autbot.domain.errors import Forbidden
from autbot.use_cases.audit import AuditQueryRequest, QueryAudit, RecordAudit


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def rec(t: float) -> AuditRecord:
    return AuditRecord(time=t, actor="key:k", action=AuditAction.DOCUMENT_DELETE, outcome=OK)


def test_start_up_prune_drops_records_past_the_retention() -> None:
    log, clock = InMemoryAuditLog(), Clock(100 * SECONDS_PER_DAY)
    log.append(rec(5 * SECONDS_PER_DAY))  # 95 days old
    log.append(rec(20 * SECONDS_PER_DAY))  # 80 days old
    assert RecordAudit(log, retention_days=90, clock=clock).prune() == 1
    assert [r.time for r in log.query(AuditQuery()).records] == [20 * SECONDS_PER_DAY]


def test_appends_prune_at_most_once_per_interval() -> None:
    log, clock = InMemoryAuditLog(), Clock(10 * SECONDS_PER_DAY)
    record = RecordAudit(log, retention_days=1, clock=clock)
    record.execute(rec(clock.now))  # first append prunes (nothing yet)
    log.append(rec(0.0))  # an old record slipped in (another replica, say)
    record.execute(rec(clock.now))
    assert log.query(AuditQuery()).total == 3  # within the interval: not pruned yet
    clock.now += limits.AUDIT_PRUNE_EVERY_S
    record.execute(rec(clock.now))
    assert log.query(AuditQuery()).total == 3  # the old one went, the new one came


def test_every_record_reaches_the_extra_sink() -> None:
    seen: list[AuditRecord] = []
    record = RecordAudit(InMemoryAuditLog(), also=seen.append)
    record.execute(rec(1.0))
    assert seen == [rec(1.0)]


@pytest.mark.parametrize("scopes", [{Scope.QUERY}, {Scope.INGEST}, {Scope.QUERY, Scope.INGEST}])
def test_only_admin_reads(scopes: set[Scope]) -> None:
    query = QueryAudit(InMemoryAuditLog())
    with pytest.raises(Forbidden):
        query.execute(AuditQueryRequest(principal=Principal(name="x", scopes=frozenset(scopes)), query=AuditQuery()))
    admin = Principal(name="a", scopes=frozenset({Scope.ADMIN}), key_id="abc")
    assert query.execute(AuditQueryRequest(principal=admin, query=AuditQuery())).total == 0
    assert query.execute(AuditQueryRequest(principal=ANONYMOUS, query=AuditQuery())).total == 0  # an open server


def test_actors() -> None:
    assert actor_of(Principal(name="ops", scopes=frozenset({Scope.ADMIN}), key_id="abc123")) == "key:abc123"
    assert actor_of(ANONYMOUS) == "anonymous"
    assert actor_of(None) == "unauthenticated"
