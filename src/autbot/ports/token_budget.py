from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class TokenBudget(Protocol):
    """Tokens spent per caller per day (``day`` is the UTC date, ``YYYY-MM-DD``).

    A counter only: the limit and when it resets are business rules (``autbot.domain.quotas``).
    ``charge`` adds atomically (concurrent charges are never lost) and returns the new total. Both
    raise ``BudgetUnavailable`` when the store cannot answer, unless the adapter falls back.
    """

    async def spent(self, identity: str, day: str) -> int: ...

    async def charge(self, identity: str, day: str, tokens: int) -> int: ...
