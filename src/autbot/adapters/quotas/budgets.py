"""The ``TokenBudget`` port: tokens spent per caller per UTC day, in memory or in Redis."""

from __future__ import annotations

import asyncio
from typing import Literal

from autbot.adapters.quotas.redis_link import RedisDown, RedisLink
from autbot.domain.errors import BudgetUnavailable, InvalidInput

OnFailure = Literal["memory", "closed"]
KEEP_S = 2 * 86_400
"""A day's counter outlives its day (clock skew between replicas), then expires."""


class InMemoryTokenBudget:
    """Counts in this process only (one worker, tests, or the fallback while Redis is down). Only the
    newest day is kept: a counter of an older day is dropped when a newer day is charged."""

    def __init__(self) -> None:
        self._spent: dict[tuple[str, str], int] = {}
        self._lock = asyncio.Lock()

    async def spent(self, identity: str, day: str) -> int:
        return self._spent.get((identity, day), 0)

    async def charge(self, identity: str, day: str, tokens: int) -> int:
        _check_tokens(tokens)
        async with self._lock:
            if any(d < day for _, d in self._spent):
                self._spent = {k: v for k, v in self._spent.items() if k[1] >= day}
            total = self._spent.get((identity, day), 0) + tokens
            self._spent[(identity, day)] = total
            return total


class RedisTokenBudget:
    """Counts in Redis, shared by every replica: one ``INCRBY`` per charge (atomic), a key per caller and
    day that expires two days later. When Redis fails: ``on_failure="closed"`` (default) raises
    ``BudgetUnavailable`` (503), so no answer goes uncounted; ``"memory"`` counts in this process until
    Redis answers again (what was counted meanwhile is not carried over)."""

    def __init__(
        self, redis: RedisLink, *, key_prefix: str = "autbot:budget", on_failure: OnFailure = "closed"
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._on_failure = on_failure
        self._fallback = InMemoryTokenBudget()

    def _key(self, identity: str, day: str) -> str:
        return f"{self._prefix}:{day}:{identity}"

    async def spent(self, identity: str, day: str) -> int:
        client = self._redis.client
        try:
            raw = await self._redis.call(lambda: client.get(self._key(identity, day)), what="a token budget read")
        except RedisDown as e:
            self._unless_fallback(e)
            return await self._fallback.spent(identity, day)
        return int(raw or 0)

    async def charge(self, identity: str, day: str, tokens: int) -> int:
        _check_tokens(tokens)
        key = self._key(identity, day)

        async def incr() -> int:
            async with self._redis.client.pipeline(transaction=True) as pipe:
                pipe.incrby(key, tokens)
                pipe.expire(key, KEEP_S)
                total, _ = await pipe.execute()
            return int(total)

        try:
            return await self._redis.call(incr, what="a token budget charge")
        except RedisDown as e:
            self._unless_fallback(e)
            return await self._fallback.charge(identity, day, tokens)

    def _unless_fallback(self, error: RedisDown) -> None:
        if self._on_failure == "closed":
            raise BudgetUnavailable(retry_after_s=self._redis.recheck_s) from error


def _check_tokens(tokens: int) -> None:
    if tokens < 0:
        raise InvalidInput("A charge is a non-negative number of tokens.", tokens=tokens)
