"""The RateLimiter contract, both window strategies: InProcessRateLimiter; LimitsRateLimiter on a real
Redis; and LimitsRateLimiter on a Redis that is down, counting in its in-process fallback.

The arithmetic is a property: for a limit of N per window, of ``hits`` requests in one window exactly
``min(N, hits)`` are allowed, ``remaining`` counts down to 0 and never below, and the reset is within
the window. Windows are an hour long, so every example runs inside one window.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autbot.adapters.quotas.in_process import InProcessRateLimiter
from autbot.adapters.quotas.limits import LimitsRateLimiter
from autbot.adapters.quotas.redis_link import RedisLink
from autbot.domain.errors import ConfigurationError
from autbot.domain.quotas import RateDecision
from autbot.ports.rate_limiter import RateLimiter
from tests.support.processes import free_port

Make = Callable[[Mapping[str, str]], Awaitable[tuple[RateLimiter, Callable[[], Awaitable[None]]]]]

PARAMS = [
    "memory-moving",
    "memory-fixed",
    "fallback-moving",
    "fallback-fixed",
    pytest.param("redis-moving", marks=[pytest.mark.slow, pytest.mark.redis]),
    pytest.param("redis-fixed", marks=[pytest.mark.slow, pytest.mark.redis]),
]


@pytest.fixture(params=PARAMS)
def make(request: pytest.FixtureRequest) -> Make:
    """A factory (call it inside the event loop that uses the limiter) of (limiter, close)."""
    storage, window = request.param.split("-")
    strategy: Any = "moving-window" if window == "moving" else "fixed-window"
    url = request.getfixturevalue("redis_server").url if storage == "redis" else None

    async def build(rates: Mapping[str, str]) -> tuple[RateLimiter, Callable[[], Awaitable[None]]]:
        prefix = f"test:{uuid.uuid4().hex}"  # a private key space per limiter
        if storage == "memory":

            async def nothing() -> None:
                return None

            return InProcessRateLimiter(rates, strategy=strategy), nothing
        # the fallback's Redis is a loopback port nothing listens on: refused at once, every hit falls back
        target = f"redis://127.0.0.1:{free_port()}/0" if url is None else url
        link = RedisLink.connect(target, password=None, timeout_s=0.25, max_connections=16, recheck_s=1.0)
        return LimitsRateLimiter(rates, strategy=strategy, redis=link, key_prefix=prefix), link.aclose

    return build


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro)


def test_satisfies_the_protocol(make: Make) -> None:
    async def body() -> None:
        limiter, close = await make({"search": "5/hour"})
        assert isinstance(limiter, RateLimiter)
        await close()

    run(body())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=12), hits=st.integers(min_value=0, max_value=30))
def test_exactly_min_of_limit_and_hits_are_allowed(make: Make, limit: int, hits: int) -> None:
    async def body() -> None:
        limiter, close = await make({"search": f"{limit}/hour"})
        who = f"ip:{uuid.uuid4().hex}"
        decisions = [await limiter.hit("search", who) for _ in range(hits)]
        await close()
        assert sum(d.allowed for d in decisions) == min(limit, hits)
        assert [d.allowed for d in decisions] == [i < limit for i in range(hits)]  # the first N, then none
        for i, d in enumerate(decisions):
            assert d.limit == limit
            assert d.window_s == 3600
            assert d.remaining == max(0, limit - i - 1)  # never negative
            assert 0 <= d.reset_after_s <= d.window_s

    run(body())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=10), callers=st.integers(min_value=1, max_value=30))
def test_concurrent_hits_are_counted_exactly(make: Make, limit: int, callers: int) -> None:
    async def body() -> None:
        limiter, close = await make({"query": f"{limit}/hour"})
        who = f"key:{uuid.uuid4().hex}"
        decisions = await asyncio.gather(*(limiter.hit("query", who) for _ in range(callers)))
        await close()
        assert sum(d.allowed for d in decisions) == min(limit, callers)
        assert all(d.remaining >= 0 for d in decisions)

    run(body())


def test_limits_and_callers_are_counted_apart(make: Make) -> None:
    async def body() -> None:
        limiter, close = await make({"search": "2/hour", "ingest": "1/hour"})
        a, b = f"ip:{uuid.uuid4().hex}", f"key:{uuid.uuid4().hex}"
        assert [(await limiter.hit("search", a)).allowed for _ in range(3)] == [True, True, False]
        assert (await limiter.hit("search", b)).allowed  # another caller: its own count
        assert (await limiter.hit("ingest", a)).allowed  # another limit: its own count
        assert not (await limiter.hit("ingest", a)).allowed
        await close()

    run(body())


def test_a_denial_says_when_to_retry(make: Make) -> None:
    async def body() -> None:
        limiter, close = await make({"search": "1/minute"})
        who = f"ip:{uuid.uuid4().hex}"
        await limiter.hit("search", who)
        denied: RateDecision = await limiter.hit("search", who)
        await close()
        assert (denied.allowed, denied.remaining, denied.limit) == (False, 0, 1)
        assert 0 < denied.reset_after_s <= 60

    run(body())


def test_the_window_frees_requests_once_it_passes(make: Make) -> None:
    async def body() -> None:
        limiter, close = await make({"search": "2/second"})
        who = f"ip:{uuid.uuid4().hex}"
        assert [(await limiter.hit("search", who)).allowed for _ in range(3)] == [True, True, False]
        for _ in range(100):  # polled, not timed: the window is one second
            await asyncio.sleep(0.1)
            if (await limiter.hit("search", who)).allowed:
                break
        else:
            pytest.fail("the window never freed a request")
        await close()

    run(body())


def test_an_unknown_limit_name_is_a_configuration_error(make: Make) -> None:
    async def body() -> None:
        limiter, close = await make({"search": "2/hour"})
        with pytest.raises(ConfigurationError, match="nope"):
            await limiter.hit("nope", "ip:1")
        await close()

    run(body())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(min_value=1, max_value=40),
    costs=st.lists(st.integers(min_value=1, max_value=50), max_size=12),
)
def test_a_hit_is_allowed_when_its_cost_fits_and_a_refused_hit_counts_nothing(
    make: Make, limit: int, costs: list[int]
) -> None:
    async def body() -> None:
        limiter, close = await make({"ingest": f"{limit}/hour"})
        who = f"key:{uuid.uuid4().hex}"
        decisions = [await limiter.hit("ingest", who, cost) for cost in costs]
        await close()
        used = 0
        for cost, d in zip(costs, decisions, strict=True):
            assert d.allowed == (used + cost <= limit)  # whole or nothing; a refused one leaves the count as it was
            used += cost if d.allowed else 0
            assert d.remaining == limit - used
            assert (d.limit, d.window_s) == (limit, 3600)
            assert 0 <= d.reset_after_s <= d.window_s

    run(body())


def test_a_cost_above_the_limit_is_never_allowed_and_costs_nothing(make: Make) -> None:
    async def body() -> None:
        limiter, close = await make({"embeddings": "10/hour"})
        who = f"key:{uuid.uuid4().hex}"
        assert not (await limiter.hit("embeddings", who, 11)).allowed
        first = await limiter.hit("embeddings", who, 10)
        assert (first.allowed, first.remaining) == (True, 0)
        with pytest.raises(ValueError, match="at least 1"):
            await limiter.hit("embeddings", who, 0)
        await close()

    run(body())
