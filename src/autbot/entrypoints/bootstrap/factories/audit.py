"""Audit logs (``audit.backend``) and the use case that writes to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.observability.audit_lines import audit_line
from autbot.entrypoints.settings import Settings
from autbot.ports.audit_log import AuditLog
from autbot.use_cases.audit import RecordAudit

if TYPE_CHECKING:
    import redis


def sqlite_audit_log(s: Settings, data_dir: Path) -> Iterator[AuditLog]:
    from autbot.adapters.audit.sqlite import SqliteAuditLog

    yield from closing(SqliteAuditLog(data_dir / "audit.sqlite3", migrate=s.storage.migrate_on_start))


def redis_audit_log(client: redis.Redis) -> AuditLog:
    """On the container's shared Redis client (the ``[redis]`` settings)."""
    from autbot.adapters.audit.redis import RedisAuditLog

    return RedisAuditLog(client)


def memory_audit_log() -> AuditLog:
    from autbot.adapters.audit.memory import InMemoryAuditLog

    return InMemoryAuditLog()


def record_audit(s: Settings, log: AuditLog) -> RecordAudit:
    also = audit_line if s.audit.log_lines else None
    return RecordAudit(log, retention_days=s.audit.retention_days, also=also)
