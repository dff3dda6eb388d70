from __future__ import annotations

from typing import Protocol, runtime_checkable

from autbot.domain.quotas import RateDecision


@runtime_checkable
class RateLimiter(Protocol):
    """Requests counted per limit name and caller, in each limit's window.

    ``hit`` counts one request and says whether it is within the limit: of ``n`` hits in one window
    exactly ``min(n, limit)`` are allowed, ``remaining`` is never negative, and ``reset_after_s`` is
    within the window. A limit name that was not configured is a ``ConfigurationError``; a store
    that cannot answer raises ``RateLimiterUnavailable`` unless the adapter falls back.
    """

    async def hit(self, limit_name: str, identity: str) -> RateDecision: ...
