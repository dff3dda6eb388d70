from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from autbot.domain.answers import ChatMessage, Completion, CompletionDelta, GenerationParams, Usage
from autbot.domain.errors import DependencyUnavailable
from autbot.domain.prompting import estimate_tokens
from autbot.domain.quotas import budget_day, check_budget
from autbot.ports.generation_slots import GenerationSlots
from autbot.ports.language_model import LanguageModel
from autbot.ports.token_budget import TokenBudget

log = logging.getLogger(__name__)


class Metering:
    """What every use case that calls the model shares: the caller's daily token budget (checked before,
    charged after) and the process's bounded generation slots, around whole and streamed model calls."""

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

    async def complete(
        self, llm: LanguageModel, messages: Sequence[ChatMessage], params: GenerationParams, caller: str | None
    ) -> Completion:
        """One whole model call in a generation slot, charged to ``caller`` after."""
        async with self.slot():
            completion = await llm.complete(messages, params)
        await self.charge(caller, completion.usage)
        return completion

    @asynccontextmanager
    async def streaming(
        self, llm: LanguageModel, messages: Sequence[ChatMessage], params: GenerationParams, caller: str | None
    ) -> AsyncIterator[Generation]:
        """One streamed model call in a generation slot (taken on entry). On exit, however the block ends (done,
        left early, the client gone, the model failed), the stream is closed, which cancels the generation,
        and what it used is charged: the model's count, else the prompt and the pieces sent so far."""
        async with self.slot():
            run = Generation(llm.stream(messages, params))
            try:
                yield run
            finally:
                await run.aclose()
                if run.usage is not None or run.pieces:
                    spent = run.usage or Usage(
                        prompt_tokens=sum(estimate_tokens(m.content) for m in messages), completion_tokens=run.pieces
                    )
                    await asyncio.shield(self.charge(caller, spent))


class Generation:
    """A streamed model call: its text pieces (iterate once), then what it used and why it stopped."""

    def __init__(self, deltas: AsyncGenerator[CompletionDelta, None]) -> None:
        self.usage: Usage | None = None
        self.finish = "stop"
        self.pieces = 0
        self._deltas = deltas
        self._texts = self._read()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._texts

    async def _read(self) -> AsyncGenerator[str, None]:
        async for delta in self._deltas:
            if delta.text:
                self.pieces += 1
                yield delta.text
            if delta.usage is not None:
                self.usage = delta.usage
            self.finish = delta.finish_reason or self.finish

    async def aclose(self) -> None:
        await self._texts.aclose()
        await self._deltas.aclose()
