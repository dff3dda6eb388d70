"""When a request counts against its caller's rate limit: once its use case knows the request is allowed.

A use case whose access rules need the request's content (a chat model's collection, a session's owner) is
handed an ``admit`` callable and calls it exactly once, with the request's cost, after those rules and before
any work. The HTTP edge passes the request's rate gate; other callers (CLI, evaluation, tests) count nothing.
So a request refused for lack of permission never spends its caller's rate limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Admit = Callable[[int], Awaitable[None]]
"""Count a request of this cost against its caller; raises ``RateLimited`` when the limit is spent."""


AdmitNow = Callable[[int], None]
"""``Admit`` for a use case that runs in a worker thread (the edge bridges it to its event loop)."""


async def admit_all(cost: int) -> None:
    """Count nothing: no rate limit applies."""


def admit_all_now(cost: int) -> None:
    """Count nothing (``AdmitNow``)."""
