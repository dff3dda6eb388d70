"""Request limits at the HTTP edge: an ASGI middleware keyed by the route's limit name, and each request's gate.

A route opts in with ``opt={"rate_limit": "search"}`` (``limited("search")``). The middleware runs after the
authentication middleware and counts the request against the caller (``domain.quotas.caller_identity``: the
key, else the client IP) through the ``RateLimiter`` port, with a ``RateGate``: a spent limit raises the domain
``RateLimited`` error (the problems table renders the 429, with ``Retry-After`` and the ``RateLimit-*`` headers
from its details; a request costing more than a whole window, 413 ``request_exceeds_rate_limit``); an allowed
request's response gets the ``RateLimit-*`` headers.

When is a request counted? Never before it is known to be allowed, so a request refused for lack of
permission costs its caller nothing:

- ``limited(name)``: at once, by the middleware, at a cost of 1, unless the collection in the path is one the
  caller may not use (its use case answers 404). For routes whose other access rule is the authentication
  middleware's scope check, which has run by then.
- ``limited(name, charged=True)``: by the route, through the gate it finds in ``scope["state"]`` (``gate_of``),
  once it knows the cost (the texts of ``/v1/embeddings``, the characters of an ingestion) or once its use
  case has decided access (a chat model's collection, a session's owner: the use case calls the ``admit``
  it is given, ``RateGate.charge``). A route that never charges is counted when its response starts, if that
  is a success (a safety net: it then cannot refuse).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from autbot.domain.auth import Principal
from autbot.domain.quotas import LIMITED_ROUTES, RateDecision, caller_identity, refused
from autbot.entrypoints.http.errors.problems import ratelimit_headers
from autbot.ports.rate_limiter import RateLimiter

OPT = "rate_limit"
CHARGED = "rate_limit_charged_by_route"
STATE_GATE = "rate_gate"


def limited(name: str, *, charged: bool = False) -> dict[str, Any]:
    """Route ``opt`` entries that put the route under the limit ``name`` (``LIMITED_ROUTES``); with ``charged``
    the route charges the gate itself (with a cost, or once its use case has decided access)."""
    if name not in LIMITED_ROUTES:
        raise ValueError(f"unknown limit {name!r}; limits are {LIMITED_ROUTES}")
    return {OPT: name, CHARGED: True} if charged else {OPT: name}


def caller_of(scope: Scope | dict[str, Any]) -> str:
    """The quota identity of a request: ``key:<key id>`` for a valid key, else ``ip:<client address>``."""
    principal = (scope.get("state") or {}).get("principal")
    client = scope.get("client")
    return caller_identity(principal if isinstance(principal, Principal) else None, client[0] if client else None)


class RateGate:
    """One limited request's admission: charged once, with the request's cost, when it is known to be allowed."""

    __slots__ = ("_limiter", "decision", "identity", "name")

    def __init__(self, limiter: RateLimiter, name: str, identity: str) -> None:
        self._limiter = limiter
        self.name = name
        self.identity = identity
        self.decision: RateDecision | None = None

    async def charge(self, cost: int = 1) -> None:
        """Count ``cost`` units against the caller; ``RateLimited`` (or ``CostExceedsLimit``) if they do not fit.
        A second charge of the same request counts nothing."""
        if self.decision is not None:
            return
        decision = await self._limiter.hit(self.name, self.identity, cost)
        self.decision = decision
        if not decision.allowed:
            raise refused(self.name, cost, decision)

    async def count_late(self) -> None:
        """The safety net of a route that never charged: count 1, never refuse (its response is made)."""
        if self.decision is None:
            self.decision = await self._limiter.hit(self.name, self.identity, 1)


async def admit_nothing(cost: int) -> None:
    """The gate of an unlimited request (limits off): nothing to count."""


def gate_of(request: Request[Any, Any, Any]) -> Callable[[int], Awaitable[None]]:
    """The ``charge`` of the request's gate (``admit`` for a use case); a no-op when limits are off."""
    gate = (request.scope.get("state") or {}).get(STATE_GATE)
    return gate.charge if isinstance(gate, RateGate) else admit_nothing


def _visible(scope: Scope) -> bool:
    """Whether the caller may use the collection the path names: if not, the use case answers 404 and the
    request, refused for lack of permission, is not counted (the rule itself is ``Principal.may_use``)."""
    principal = (scope.get("state") or {}).get("principal")
    collection = (scope.get("path_params") or {}).get("collection")
    return not isinstance(principal, Principal) or not isinstance(collection, str) or principal.may_use(collection)


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
        gate = RateGate(self.limiter, name, caller_of(scope))
        if handler.opt.get(CHARGED):
            scope.setdefault("state", {})[STATE_GATE] = gate
        elif _visible(scope):
            await gate.charge()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                if gate.decision is None and message["status"] < 400:
                    await gate.count_late()
                if gate.decision is not None and gate.decision.allowed:
                    message["headers"] = [*message.get("headers", []), *_headers_of(gate.decision)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
