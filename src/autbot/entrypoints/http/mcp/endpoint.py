"""``/mcp``: one Litestar ASGI route in front of the MCP SDK's streamable HTTP session manager (stateless mode).

Stateless: every POST carries one JSON-RPC message and is served on its own (no ``Mcp-Session-Id``, nothing kept
between requests), so any replica can answer any request, as for the REST routes. Responses are SSE streams when
the client accepts them, which is how progress notifications (``ask``'s tokens) reach the client before the
result; clients of the 2026-07-28 protocol (no handshake) and of the earlier handshake protocols both work. Any
other method is 405 ``method_not_allowed`` (``Allow: POST``): the transport's ``GET`` stream would never carry a
message without sessions (the protocol's answer for a server that offers none), and there is no session to
``DELETE``.

The route is an ordinary Litestar route, so the app's middleware applies to it as to any other: the request guard
(``Host``), the authentication middleware (the caller's ``Principal``; 401 for a missing or bad key, the
failed-key limit), the request id, metrics and the access log. Its body is read here first, within
``server.max_request_bytes`` (413 ``request_too_large``) and ``server.body_timeout_s`` (408 ``request_timeout``),
after its media type (JSON, else 415 ``unsupported_media_type``), answered as problem+json, and only then handed
to the SDK.

The SDK (with pydantic) is slow to import next to the app's own start-up: it is imported, and its server built,
on the first ``/mcp`` request of a process, in a worker thread, so the app starts as fast as without it. A task
group that lives as long as the app (``lifespan``) runs the session manager from then until the app stops.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
from anyio.abc import TaskGroup
from litestar import Litestar, asgi
from litestar.exceptions import MethodNotAllowedException
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send

from autbot.domain.errors import DependencyUnavailable, RequestTooLarge, UnsupportedMediaType
from autbot.entrypoints.http.mcp.parts import McpParts
from autbot.entrypoints.http.middleware.guard import media_type_matches, timed_receive
from autbot.entrypoints.http.middleware.headers import request_headers

PATH = "/mcp"
SDK_SIDE = "autbot.entrypoints.http.mcp.server"


class McpEndpoint:
    def __init__(self, parts: McpParts) -> None:
        self._parts = parts
        self._tasks: TaskGroup | None = None
        self._manager: Any = None
        self._starting = anyio.Lock()

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """A task group from the app's start to its stop, for the session manager once a request needs it."""
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            try:
                yield
            finally:
                self._tasks, self._manager = None, None
                tasks.cancel_scope.cancel()

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            # stateless: no stream a GET could open would ever carry anything, and no session to DELETE
            raise MethodNotAllowedException("The MCP endpoint takes POST only (stateless).", headers={"Allow": "POST"})
        content_type = request_headers(scope).get("content-type")
        if not media_type_matches(content_type, "application/json"):
            raise UnsupportedMediaType(
                "The MCP endpoint accepts application/json bodies (JSON-RPC messages).",
                accepted=["application/json"],
                content_type=(content_type or "")[:255],
            )
        manager = await self._running()
        body = await read_body(scope, receive, self._parts.max_body_bytes, self._parts.body_timeout_s)
        if body is None:
            return  # the client left: the access line says 499
        await manager.handle_request(scope, replay(body, receive), send)

    async def _running(self) -> Any:
        """The session manager, started by the first request (the SDK imported in a worker thread)."""
        if self._manager is not None:
            return self._manager
        async with self._starting:
            if self._manager is None:
                if self._tasks is None:
                    raise DependencyUnavailable("The MCP endpoint is not running (the app has not started).")
                sdk = await anyio.to_thread.run_sync(importlib.import_module, SDK_SIDE)
                self._manager = await self._tasks.start(partial(sdk.run_manager, self._parts))
        return self._manager


async def read_body(scope: Scope, receive: Any, max_bytes: int, timeout_s: float) -> bytes | None:
    """The whole request body, at most ``max_bytes`` (413) within ``timeout_s`` (408); None if the client left."""
    declared = request_headers(scope).get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    timed = timed_receive(receive, timeout_s)
    chunks: list[bytes] = []
    size = 0
    while True:
        message: dict[str, Any] = dict(await timed())
        if message["type"] == "http.disconnect":
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Any) -> Any:
    """``receive`` that gives the body read already, then what the client sends next (its disconnect)."""
    given = False

    async def replayed() -> dict[str, Any]:
        nonlocal given
        if given:
            message: dict[str, Any] = await receive()
            return message
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _too_large(max_bytes: int) -> RequestTooLarge:
    return RequestTooLarge(f"The request body is larger than {max_bytes:,} bytes.", max_bytes=max_bytes)


def mcp_route(endpoint: McpEndpoint) -> ASGIRouteHandler:
    """``/mcp`` as a Litestar route: any authenticated caller (each tool checks its scope)."""

    async def mcp(scope: Scope, receive: Receive, send: Send) -> None:
        await endpoint.serve(scope, receive, send)

    return asgi(PATH, copy_scope=False, name="mcp")(mcp)
