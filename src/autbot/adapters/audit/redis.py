"""Audit records in Redis: one trail shared by every replica of a scale-out deployment.

Layout (prefix ``autbot:audit:``): a sorted set ``records`` scored by the record's time whose members are
``<sequence>|<record as JSON>`` (the sequence, from ``seq``, zero-padded, keeps equal times in append
order and identical records apart), and the layout's schema version (``schema``). Append-only: ``ZADD``
to append, ``ZREMRANGEBYSCORE`` to prune. A query reads the time range and filters the rest here, so its
cost grows with the records in that range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from autbot.adapters.audit.codec import from_json, to_json
from autbot.adapters.redis_versions import RedisStep, RedisVersions, nothing
from autbot.domain.audit import AuditPage, AuditQuery, AuditRecord
from autbot.domain.errors import AuditLogUnavailable, AutbotError
from autbot.domain.model import HealthStatus

T = TypeVar("T")
PREFIX = "autbot:audit:"
MIGRATIONS = (RedisStep("record schema version 1 (the layout above, under 'autbot:audit:')", nothing),)
"""The audit layout's steps (``domain.schema_versions``); version 0 is an empty Redis."""


def redis_audit_versions(client: Any, *, prefix: str = PREFIX) -> RedisVersions:
    """The audit layout's schema version (``<prefix>schema``)."""
    return RedisVersions(client, store="audit", prefix=prefix, steps=MIGRATIONS)


class RedisAuditLog:
    def __init__(self, client: Any, *, prefix: str = PREFIX) -> None:
        self._r = client
        self._p = prefix

    def append(self, record: AuditRecord) -> None:
        def run() -> None:
            seq = int(self._r.incr(f"{self._p}seq"))
            self._r.zadd(f"{self._p}records", {f"{seq:020d}|{to_json(record)}": record.time})

        self._call(run)

    def query(self, query: AuditQuery) -> AuditPage:
        top = "+inf" if query.until is None else f"({query.until}"
        bottom = "-inf" if query.since is None else str(query.since)
        raw = self._call(lambda: self._r.zrevrangebyscore(f"{self._p}records", top, bottom))
        matched = [r for r in (_decode(m) for m in raw) if query.matches(r)]
        return AuditPage(records=matched[query.offset : query.offset + query.limit], total=len(matched))

    def prune(self, before: float) -> int:
        return int(self._call(lambda: self._r.zremrangebyscore(f"{self._p}records", "-inf", f"({before}")))

    def health(self) -> HealthStatus:
        try:
            self._call(self._r.ping)
        except AuditLogUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True, detail="redis audit log")

    def _call(self, fn: Callable[[], T]) -> T:
        import redis

        try:
            return fn()
        except AutbotError:
            raise
        except redis.RedisError as e:
            raise AuditLogUnavailable(f"The audit log failed: {type(e).__name__}: {e}") from e


def _decode(member: bytes | str) -> AuditRecord:
    text = member.decode() if isinstance(member, bytes) else member
    return from_json(text.partition("|")[2])
