from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext

from autbot.domain.answers import Usage
from autbot.domain.errors import DependencyUnavailable
from autbot.domain.quotas import budget_day, check_budget
from autbot.ports.generation_slots import GenerationSlots
from autbot.ports.token_budget import TokenBudget

log = logging.getLogger(__name__)


class Metering:
    """What every use case that calls the model shares: the caller's daily token budget (checked before,
    charged after) and the process's bounded generation slots."""

    def __init__(
        self,
        *,
        budget: TokenBudget | None,
        slots: GenerationSlots | None,
        daily_tokens: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.budget = budget
        self.slots = slots
        self.daily_tokens = daily_tokens
        self.clock = clock

    def _budgeted(self, caller: str | None) -> str | None:
        return caller if self.budget is not None and self.daily_tokens > 0 else None

    async def check_budget(self, caller: str | None) -> None:
        who = self._budgeted(caller)
        if who is None or self.budget is None:
            return
        now = self.clock()
        spent = await self.budget.spent(who, budget_day(now))
        check_budget(spent=spent, limit=self.daily_tokens, now=now)

    async def charge(self, caller: str | None, usage: Usage) -> None:
        """Charge what the model used. The answer is already made: a store failure here is logged, not raised."""
        who = self._budgeted(caller)
        tokens = usage.prompt_tokens + usage.completion_tokens
        if who is None or self.budget is None or tokens <= 0:
            return
        try:
            await self.budget.charge(who, budget_day(self.clock()), tokens)
        except DependencyUnavailable as e:
            log.warning("could not charge %d tokens to %s: %s", tokens, who, e.message)

    def slot(self) -> AbstractAsyncContextManager[None]:
        return self.slots.hold() if self.slots is not None else nullcontext()
