from __future__ import annotations

from typing import Protocol, runtime_checkable

from autbot.domain.quotas import RateDecision


@runtime_checkable
class RateLimiter(Protocol):
    """Units counted per limit name and caller, in each limit's window.

    ``hit`` counts ``cost`` units (a request, or its weight: texts, characters) and says whether they fit the
    limit: a hit is allowed when the units already in the window plus ``cost`` are at most the limit, and a
    refused hit counts nothing. So of ``n`` hits of cost 1 in one window exactly ``min(n, limit)`` are allowed;
    a cost above the limit is never allowed. ``remaining`` (units left) is never negative, and
    ``reset_after_s`` is within the window. A limit name that was not configured is a ``ConfigurationError``,
    a cost below 1 a ``ValueError``; a store that cannot answer raises ``RateLimiterUnavailable`` unless the
    adapter falls back.
    """

    async def hit(self, limit_name: str, identity: str, cost: int = 1) -> RateDecision: ...
