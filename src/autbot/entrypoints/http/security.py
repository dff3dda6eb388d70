"""Who is calling (an ASGI middleware) and what they may do (a guard), both reading one Principal.

The middleware resolves the caller once per request through the ``Authenticate`` use case and puts
the domain ``Principal`` in ``scope["state"]["principal"]``; later middleware (rate limits) and the
guard read it there. Routes declare what they need in ``opt``: ``scope`` (query, ingest, admin) or
``public`` (health and readiness answer everyone, with less detail for anonymous callers).
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from autbot.domain.auth import ANONYMOUS, Principal
from autbot.domain.auth import Scope as KeyScope
from autbot.domain.errors import Unauthorized
from autbot.use_cases.authenticate import Authenticate, AuthenticateRequest

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


class AuthMiddleware(AbstractMiddleware):
    """Resolve the caller before anything else looks at the request."""

    def __init__(self, app: ASGIApp, authenticate: Authenticate, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        key = presented_key(connection.headers)
        request = AuthenticateRequest(key=key)
        handler = scope.get("route_handler")
        public = bool(handler is not None and handler.opt.get("public"))
        try:
            if key is None:
                principal = self._authenticate.execute(request)  # no store round trip unless it is cached out
            else:
                principal = await anyio.to_thread.run_sync(self._authenticate.execute, request)
        except Unauthorized:
            if not public:
                raise
            principal = PUBLIC_ANONYMOUS
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    state = connection.scope.get("state") or {}
    principal = state.get("principal", ANONYMOUS)
    assert isinstance(principal, Principal)
    return principal


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Litestar guard: the route's scope is held (403 otherwise), and a collection outside the key's
    list is invisible (404). Async, though it never waits: Litestar runs a sync guard in a thread."""
    needed = handler.opt.get("scope")
    if needed is None:
        return
    principal = principal_of(connection)
    principal.require(KeyScope(needed))
    collection = connection.path_params.get("collection")
    if isinstance(collection, str):
        principal.check_collection(collection)


def query(**opt: Any) -> dict[str, Any]:
    return {"scope": KeyScope.QUERY.value, **opt}


def ingest(**opt: Any) -> dict[str, Any]:
    return {"scope": KeyScope.INGEST.value, **opt}


def admin(**opt: Any) -> dict[str, Any]:
    return {"scope": KeyScope.ADMIN.value, **opt}


def public(**opt: Any) -> dict[str, Any]:
    return {"public": True, **opt}
