"""The ``RateLimiter`` port on Redis through the ``limits`` library, falling back to this process."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal

from autbot.adapters.quotas.in_process import InProcessRateLimiter, Strategy
from autbot.adapters.quotas.redis_link import RedisDown, RedisLink
from autbot.domain.errors import ConfigurationError, RateLimiterUnavailable
from autbot.domain.quotas import RateDecision

OnFailure = Literal["memory", "closed"]


class LimitsRateLimiter:
    """Request limits per limit name and caller, counted in Redis by the ``limits`` library.

    ``rates`` maps a limit name to a rate string (``600/minute``). With ``redis`` every replica and worker
    shares one count (the moving window is one Lua script, the fixed window one INCRBY: exact under
    concurrency). A hit's ``cost`` is the library's own: the moving window admits it whole or not at all; a
    fixed-window hit that went over is taken back (one more INCRBY), so that a refused hit counts nothing there
    either, as the port requires. When Redis fails, ``on_failure="memory"`` counts in ``fallback`` (by default an
    ``InProcessRateLimiter`` of the same rates and strategy) until Redis answers again (fail open, still
    bounded); ``"closed"`` raises ``RateLimiterUnavailable``. Without ``redis`` every hit is the fallback's.
    """

    def __init__(
        self,
        rates: Mapping[str, str],
        *,
        strategy: Strategy = "moving-window",
        redis: RedisLink | None = None,
        key_prefix: str = "autbot:rl",
        on_failure: OnFailure = "memory",
        fallback: InProcessRateLimiter | None = None,
    ) -> None:
        from limits import parse

        self._memory = fallback if fallback is not None else InProcessRateLimiter(rates, strategy=strategy)
        self._items = {name: parse(rate) for name, rate in rates.items()}
        self._redis = redis
        self._on_failure = on_failure
        self._shared = _limiter(strategy, _redis_storage(redis, key_prefix)) if redis is not None else None
        self._fixed = strategy == "fixed-window"

    async def hit(self, limit_name: str, identity: str, cost: int = 1) -> RateDecision:
        item = self._items.get(limit_name)
        if item is None:
            raise ConfigurationError(f"No rate limit named '{limit_name}' (configured: {sorted(self._items)}).")
        if cost < 1:
            raise ValueError(f"A hit costs at least 1, not {cost}.")
        if self._shared is None or self._redis is None:
            return self._memory.hit_now(limit_name, identity, cost)
        shared, fixed = self._shared, self._fixed
        try:
            return await self._redis.call(
                lambda: _decide(shared, item, (limit_name, identity), cost, fixed=fixed), what="a rate limit"
            )
        except RedisDown as e:
            if self._on_failure == "closed":
                raise RateLimiterUnavailable(retry_after_s=self._redis.recheck_s) from e
            return self._memory.hit_now(limit_name, identity, cost)


async def _decide(limiter: Any, item: Any, ids: tuple[str, str], cost: int, *, fixed: bool) -> RateDecision:
    allowed = bool(await limiter.hit(item, *ids, cost=cost))
    if not allowed and fixed:  # the fixed window's INCRBY counted it anyway: take it back
        await limiter.storage.incr(item.key_for(*ids), item.get_expiry(), amount=-cost)
    stats = await limiter.get_window_stats(item, *ids)
    window = int(item.get_expiry())
    return RateDecision(
        allowed=allowed,
        limit=int(item.amount),
        remaining=max(0, int(stats.remaining)),
        reset_after_s=min(float(window), max(0.0, float(stats.reset_time) - time.time())),
        window_s=window,
    )


def _limiter(strategy: Strategy, storage: Any) -> Any:
    from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

    return (MovingWindowRateLimiter if strategy == "moving-window" else FixedWindowRateLimiter)(storage)


def _redis_storage(link: RedisLink, key_prefix: str) -> Any:
    from limits.aio.storage import RedisStorage

    url = link.url.replace("unix://", "redis+unix://", 1) if link.url.startswith("unix://") else link.url
    url = url if url.startswith("async+") else f"async+{url}"  # limits' scheme for asyncio clients
    return RedisStorage(
        url,
        implementation="redispy",
        connection_pool=link.client.connection_pool,
        key_prefix=key_prefix,
        wrap_exceptions=True,
    )
