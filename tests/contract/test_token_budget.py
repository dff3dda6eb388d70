"""The TokenBudget contract: the in-memory counter and Redis both pass it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autbot.adapters.quotas.budgets import InMemoryTokenBudget, RedisTokenBudget
from autbot.adapters.quotas.redis_link import RedisLink
from autbot.domain.errors import InvalidInput
from autbot.ports.token_budget import TokenBudget

Make = Callable[[], Awaitable[tuple[TokenBudget, Callable[[], Awaitable[None]]]]]


@pytest.fixture(params=["memory", pytest.param("redis", marks=[pytest.mark.slow, pytest.mark.redis])])
def make(request: pytest.FixtureRequest) -> Make:
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else None

    async def build() -> tuple[TokenBudget, Callable[[], Awaitable[None]]]:
        if url is None:

            async def nothing() -> None:
                return None

            return InMemoryTokenBudget(), nothing
        link = RedisLink.connect(url, password=None, timeout_s=0.25, max_connections=16, recheck_s=1.0)
        return RedisTokenBudget(link, key_prefix=f"test:{uuid.uuid4().hex}"), link.aclose

    return build


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro)


def test_satisfies_the_protocol(make: Make) -> None:
    async def body() -> None:
        budget, close = await make()
        assert isinstance(budget, TokenBudget)
        await close()

    run(body())


def test_charges_add_up_per_caller_and_day(make: Make) -> None:
    async def body() -> None:
        budget, close = await make()
        assert await budget.spent("key:a", "2026-11-05") == 0
        assert await budget.charge("key:a", "2026-11-05", 100) == 100
        assert await budget.charge("key:a", "2026-11-05", 23) == 123
        assert await budget.spent("key:a", "2026-11-05") == 123
        assert await budget.spent("key:b", "2026-11-05") == 0  # another caller
        assert await budget.charge("key:a", "2026-11-06", 5) == 5  # a new day starts from zero
        assert await budget.spent("key:a", "2026-11-06") == 5
        with pytest.raises(InvalidInput):
            await budget.charge("key:a", "2026-11-06", -1)
        await close()

    run(body())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=5_000), max_size=40))
def test_concurrent_charges_are_never_lost(make: Make, charges: list[int]) -> None:
    async def body() -> None:
        budget, close = await make()
        who = f"ip:{uuid.uuid4().hex}"
        totals = await asyncio.gather(*(budget.charge(who, "2026-11-05", t) for t in charges))
        spent = await budget.spent(who, "2026-11-05")
        await close()
        assert spent == sum(charges)
        if 0 not in charges:  # atomic increments: each charge saw its own running total
            assert len(set(totals)) == len(totals)
        assert max(totals, default=0) == sum(charges)

    run(body())
