"""Security headers on every response, by the outermost ASGI layer.

``SecurityHeaders`` wraps the whole app (like the observability layer), so every response gets the headers:
handler results, problem responses from the exception handlers, the router's 404/405 and CORS preflights.
It adds precomputed byte pairs to the raw ASGI headers, cheaper than a ``before_send`` hook with mutable header
objects (docs/benchmarks.md, request overhead). A header a handler sets itself
(the page's own Content-Security-Policy, a Cache-Control) is kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""JSON, SSE and problem responses: nothing may load, frame or submit anything."""

DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        # The OpenAPI pages (Swagger UI) load their bundles and start-up script from /schema/assets (web.py)
        # and read the spec from this server; Swagger UI sets inline styles and data: images.
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)
"""Other HTML (the /schema pages): this origin only. A handler's own policy (the page at ``/``) is kept."""

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Every response; a handler's own ``Cache-Control`` is kept."""


_BASE = [(name.lower().encode(), value.encode()) for name, value in BASE_HEADERS.items()]
_CSP = b"content-security-policy"
_API_CSP = API_CSP.encode()
_DOCS_CSP = DOCS_CSP.encode()


def with_security_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A response's raw headers plus the security headers it does not set itself."""
    out = list(headers)
    present = {name.lower() for name, _ in out}
    out.extend(pair for pair in _BASE if pair[0] not in present)
    if _CSP not in present:
        html = any(name.lower() == b"content-type" and value.lower().startswith(b"text/html") for name, value in out)
        out.append((_CSP, _DOCS_CSP if html else _API_CSP))
    return out


class SecurityHeaders:
    """The outermost ASGI layer's share: the security headers on every response start, whoever made it
    (handlers, problem responses, the router's 404/405, CORS preflights)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers") or ())
            await send(message)

        await self.app(scope, receive, send_secured)


__all__ = ["API_CSP", "BASE_HEADERS", "DOCS_CSP", "SecurityHeaders", "with_security_headers"]
