"""``Connection: close`` on every response once draining has started (SIGTERM; ``streaming.draining`` says when:
the app passes its ``started`` flag in as ``draining``).

A load balancer (or a client) that keeps a connection to this replica would send its next request on it,
perhaps just as the replica stops: with this header each connection closes after its response, and the next
request opens a new connection, which the balancer sends to a replica that is still ready. uvicorn honours the
header (it closes the connection once the response is sent).
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_CLOSE = (b"connection", b"close")


class CloseWhenDraining:
    """Adds ``Connection: close`` to each response that starts after draining has started."""

    def __init__(self, app: ASGIApp, draining: Callable[[], bool]) -> None:
        self.app = app
        self.draining = draining

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and self.draining():
                headers = [(k, v) for k, v in message.get("headers") or () if k.lower() != b"connection"]
                message["headers"] = [*headers, _CLOSE]
            await send(message)

        await self.app(scope, receive, send_closing)
