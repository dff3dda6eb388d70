"""Who is calling and what they may do: one ASGI middleware, reading one Principal.

The middleware resolves the caller once per request through the ``Authenticate`` use case, puts the
domain ``Principal`` in ``scope["state"]["principal"]`` (later middleware, rate limits, and handlers read it
there) and checks the route's needs. Routes declare what they need in ``opt``: ``scope`` (query, ingest, admin) or
``public`` (health and readiness answer everyone, with less detail for anonymous callers). Which collections the
caller may see is not decided here: the use cases decide it from the principal their request carries.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from autbot.domain.auth import ANONYMOUS, Principal
from autbot.domain.auth import Scope as KeyScope
from autbot.domain.errors import IdentityProviderUnavailable, Unauthorized
from autbot.domain.quotas import AUTH_FAILURES, too_many_failed_keys
from autbot.entrypoints.http.middleware.headers import request_headers
from autbot.entrypoints.observability.middleware import STATE_LIMIT
from autbot.ports.rate_limiter import RateLimiter
from autbot.use_cases.authenticate import Authenticate, AuthenticateRequest

MAX_BLOCKED_ADDRESSES = 10_000
"""Client addresses remembered as past ``limits.auth_failures`` (per process); beyond, the oldest go."""
MAX_KNOWN_KEYS = 10_000
"""Keys (their SHA-256) that authenticated in this process: still looked up from a blocked address."""

PUBLIC_ANONYMOUS = Principal(name="anonymous", scopes=frozenset(), authenticated=False)
"""The caller of a public route on a server that requires keys, who presented none."""


def presented_key(headers: Any) -> str | None:
    """The key in ``Authorization: Bearer <key>`` or ``X-API-Key``; any other Authorization scheme is
    kept as-is so that it fails like a wrong key (never silently ignored)."""
    auth: str | None = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else auth
    key: str | None = headers.get("x-api-key")
    return key.strip() if key else None


class AuthMiddleware:
    """Resolve the caller, then check what the route needs, before anything else looks at the request.

    A plain ASGI middleware (no per-request connection object): it reads the headers parsed once for the
    request, decides without a store round trip when it can (an open server, a key checked moments ago),
    and asks the key store in a worker thread only otherwise. Paths under ``public_prefixes`` (the OpenAPI
    pages) are not looked at.

    With a ``limiter``, a presented key that fails counts against ``limits.auth_failures`` for the client
    address; past it, that address gets 429 before any store lookup, until the limiter's window frees a
    failure, for every key that has not authenticated in this process before: keys in use keep working
    (they are still looked up, so a revoked one fails), guessed ones cost nothing.
    """

    def __init__(
        self,
        app: ASGIApp,
        authenticate: Authenticate,
        public_prefixes: tuple[str, ...] = (),
        limiter: RateLimiter | None = None,
    ) -> None:
        self.app = app
        self._authenticate = authenticate
        self._public_prefixes = public_prefixes
        self._limiter = limiter
        self._blocked: dict[str, tuple[float, int, int]] = {}  # address -> (until, limit, window_s)
        self._known: dict[bytes, None] = {}  # SHA-256 of keys that authenticated (an ordered, bounded set)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or (
            self._public_prefixes and scope["path"].startswith(self._public_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        opt: dict[str, Any] = handler.opt if handler is not None else {}
        request = AuthenticateRequest(key=presented_key(request_headers(scope)))
        try:
            principal = self._authenticate.without_store(request)
            if principal is None:
                self._refuse_if_blocked(scope, request.key)
                principal = await anyio.to_thread.run_sync(self._authenticate.execute, request)
                if self._limiter is not None and request.key is not None and principal.authenticated:
                    self._remember(request.key)
        except Unauthorized:
            if not opt.get("public"):
                if request.key is not None:
                    await self._count_failure(scope)
                raise
            principal = PUBLIC_ANONYMOUS
        except IdentityProviderUnavailable:
            if not opt.get("public"):
                raise
            principal = PUBLIC_ANONYMOUS  # probes answer whatever the identity provider does
        scope.setdefault("state", {})["principal"] = principal
        authorize(principal, opt)
        await self.app(scope, receive, send)

    def _remember(self, key: str) -> None:
        digest = hashlib.sha256(key.encode()).digest()
        if digest not in self._known:
            if len(self._known) >= MAX_KNOWN_KEYS:
                del self._known[next(iter(self._known))]
            self._known[digest] = None

    def _refuse_if_blocked(self, scope: Scope, key: str | None) -> None:
        address = _address(scope)
        blocked = self._blocked.get(address) if self._blocked else None
        if blocked is None:
            return
        until, limit, window_s = blocked
        left = until - time.monotonic()
        if left <= 0:
            del self._blocked[address]
            return
        if key is not None and hashlib.sha256(key.encode()).digest() in self._known:
            return  # a key in use: looked up as usual
        scope.setdefault("state", {})[STATE_LIMIT] = AUTH_FAILURES
        raise too_many_failed_keys(limit, window_s, left)

    async def _count_failure(self, scope: Scope) -> None:
        if self._limiter is None:
            return
        address = _address(scope)
        decision = await self._limiter.hit(AUTH_FAILURES, f"ip:{address}")
        if decision.allowed:
            return
        if len(self._blocked) >= MAX_BLOCKED_ADDRESSES:
            del self._blocked[next(iter(self._blocked))]
        self._blocked[address] = (time.monotonic() + decision.reset_after_s, decision.limit, decision.window_s)
        scope.setdefault("state", {})[STATE_LIMIT] = AUTH_FAILURES
        raise too_many_failed_keys(decision.limit, decision.window_s, decision.reset_after_s)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    state = connection.scope.get("state") or {}
    principal = state.get("principal", ANONYMOUS)
    assert isinstance(principal, Principal)
    return principal


def authorize(principal: Principal, opt: dict[str, Any]) -> None:
    """The route's scope is held (403 otherwise). Checked in the middleware, once the caller is known (a
    Litestar guard would copy the route handler on every request)."""
    needed = opt.get("scope")
    if needed is not None:
        principal.require(KeyScope(needed))


def query(**opt: Any) -> dict[str, Any]:
    return {"scope": KeyScope.QUERY.value, **opt}


def ingest(**opt: Any) -> dict[str, Any]:
    return {"scope": KeyScope.INGEST.value, **opt}


def admin(**opt: Any) -> dict[str, Any]:
    return {"scope": KeyScope.ADMIN.value, **opt}


def public(**opt: Any) -> dict[str, Any]:
    return {"public": True, **opt}
