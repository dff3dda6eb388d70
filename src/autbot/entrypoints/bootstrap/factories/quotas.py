"""Rate limiters and token budgets (``limits.storage``), and the per-process generation slots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autbot.entrypoints.settings import Settings
from autbot.ports.generation_slots import GenerationSlots
from autbot.ports.rate_limiter import RateLimiter
from autbot.ports.token_budget import TokenBudget

if TYPE_CHECKING:
    from autbot.adapters.quotas.redis_link import RedisLink


def memory_rate_limiter(s: Settings) -> RateLimiter:
    from autbot.adapters.quotas.in_process import InProcessRateLimiter

    return InProcessRateLimiter(s.limits.rates(), strategy=s.limits.strategy)


def redis_rate_limiter(s: Settings, link: RedisLink) -> RateLimiter:
    from autbot.adapters.quotas.limits import LimitsRateLimiter

    return LimitsRateLimiter(
        s.limits.rates(), strategy=s.limits.strategy, redis=link, on_failure=s.limits.requests_on_redis_failure
    )


def memory_token_budget() -> TokenBudget:
    from autbot.adapters.quotas.budgets import InMemoryTokenBudget

    return InMemoryTokenBudget()


def redis_token_budget(s: Settings, link: RedisLink) -> TokenBudget:
    from autbot.adapters.quotas.budgets import RedisTokenBudget

    return RedisTokenBudget(link, on_failure=s.limits.budget_on_redis_failure)


def generation_slots(s: Settings) -> GenerationSlots:
    """Per process: bounds the generations of the model this process drives."""
    from autbot.adapters.slots.in_process import InProcessGenerationSlots

    return InProcessGenerationSlots(s.llm.max_concurrent, s.llm.max_queue)
