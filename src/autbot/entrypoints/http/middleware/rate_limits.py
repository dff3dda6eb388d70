"""Request rate limits at the HTTP edge: an ASGI middleware keyed by the route's limit name.

A route opts in with ``opt={"rate_limit": "search"}`` (``limited("search")``). The middleware runs after
the authentication middleware, counts the request against the caller (``domain.quotas.caller_identity``:
the key's name, else the client IP) through the ``RateLimiter`` port, and either raises the domain
``RateLimited`` error (the problems table renders the 429, with ``Retry-After`` and the ``RateLimit-*``
headers from its details) or lets the request through with the ``RateLimit-*`` headers added.
"""

from __future__ import annotations

from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from autbot.domain.auth import Principal
from autbot.domain.quotas import LIMITED_ROUTES, RateDecision, caller_identity, rate_limited
from autbot.entrypoints.http.errors.problems import ratelimit_headers
from autbot.ports.rate_limiter import RateLimiter

OPT = "rate_limit"


def limited(name: str) -> dict[str, str]:
    """Route ``opt`` entries that put the route under the limit ``name`` (query, search or ingest)."""
    if name not in LIMITED_ROUTES:
        raise ValueError(f"unknown limit {name!r}; limits are {LIMITED_ROUTES}")
    return {OPT: name}


def caller_of(scope: Scope | dict[str, Any]) -> str:
    """The quota identity of a request: ``key:<name>`` for a valid key, else ``ip:<client address>``."""
    principal = (scope.get("state") or {}).get("principal")
    client = scope.get("client")
    return caller_identity(principal if isinstance(principal, Principal) else None, client[0] if client else None)


def _headers_of(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    fields = ratelimit_headers(
        limit=decision.limit,
        remaining=decision.remaining,
        reset_after_s=decision.reset_after_s,
        window_s=decision.window_s,
    )
    return [(k.lower().encode(), v.encode()) for k, v in fields.items()]


class RateLimitMiddleware:
    """Counts requests to routes that carry a limit name; other routes pass untouched."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        name = handler.opt.get(OPT) if handler is not None and scope["type"] == ScopeType.HTTP else None
        if name is None:
            await self.app(scope, receive, send)
            return
        decision = await self.limiter.hit(name, caller_of(scope))
        if not decision.allowed:
            raise rate_limited(name, decision)
        extra = _headers_of(decision)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
