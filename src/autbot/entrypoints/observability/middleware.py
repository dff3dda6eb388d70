"""The outermost ASGI layer: request id, request span, metrics and one access line per request.

It wraps Litestar's own handler (``app.asgi_handler``), so it sees every request, router 404s and
problem responses included. A client that goes away before its response is sent (an aborted upload:
``http.disconnect`` while the body is read, or the request task cancelled) is logged once, as status
499, never as a server error.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio
from loguru import logger

from autbot.domain.auth import Principal
from autbot.domain.correlation import REQUEST_ID, accepted_request_id
from autbot.entrypoints.observability.telemetry import Telemetry

CLIENT_CLOSED = 499
"""nginx's status for a request whose client went away before the response."""
STATE_DISCONNECTED = "client_disconnected"
STATE_ERROR_CODE = "error_code"

_access = logger.bind(logger_name="autbot.access")


class ObservedApp:
    def __init__(self, app: Any, telemetry: Telemetry, *, access_log: bool = True) -> None:
        self.app = app
        self.telemetry = telemetry
        self.access_log = access_log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        raw = headers.get(b"x-request-id")
        rid = accepted_request_id(raw.decode("latin-1") if raw is not None else None)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = rid
        sent = {"status": 0, "bytes": 0}
        m = self.telemetry.metrics
        method = scope.get("method", "GET")

        async def receive_watch() -> Any:
            message = await receive()
            if message.get("type") == "http.disconnect" and not sent["status"]:
                state[STATE_DISCONNECTED] = True
            return message

        async def send_tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid.encode())]
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        token = REQUEST_ID.set(rid)
        started = time.perf_counter()
        m.in_flight.inc()
        gone = False
        with self.telemetry.tracer.start_as_current_span(method, kind=_server_kind()) as span:
            span.set_attribute("autbot.request_id", rid)
            span.set_attribute("http.request.method", method)
            try:
                await self.app(scope, receive_watch, send_tagged)
            except (asyncio.CancelledError, anyio.EndOfStream, anyio.BrokenResourceError):
                gone = True
                raise
            finally:
                m.in_flight.dec()
                route = str(scope.get("path_template") or "unmatched")
                status = CLIENT_CLOSED if gone or state.get(STATE_DISCONNECTED) else sent["status"] or 500
                elapsed = time.perf_counter() - started
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                m.requests.labels(route, method, str(status)).inc()
                m.duration.labels(route).observe(elapsed)
                if status == 429:
                    self._count_limited(scope, state)
                if self.access_log:
                    self._log(method, route, status, elapsed, sent["bytes"], state)
                REQUEST_ID.reset(token)

    def _count_limited(self, scope: Any, state: dict[str, Any]) -> None:
        handler = scope.get("route_handler")
        name = handler.opt.get("rate_limit") if handler is not None else None
        limit = "tokens" if state.get(STATE_ERROR_CODE) == "token_budget_exhausted" else str(name or "other")
        self.telemetry.metrics.rate_limited.labels(limit).inc()

    @staticmethod
    def _log(method: str, route: str, status: int, elapsed: float, size: int, state: dict[str, Any]) -> None:
        principal = state.get("principal")
        fields = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "bytes_sent": size,
            "key_name": principal.name if isinstance(principal, Principal) else None,
            "error_code": state.get(STATE_ERROR_CODE),
        }
        level = "WARNING" if status == CLIENT_CLOSED else "INFO"
        text = f"{method} {route} {status} {fields['duration_ms']} ms"
        _access.bind(**fields).log(level, "client closed the connection: " + text if status == CLIENT_CLOSED else text)


def _server_kind() -> Any:
    from opentelemetry.trace import SpanKind

    return SpanKind.SERVER


def client_gone(scope: Any) -> bool:
    """Whether the client disconnected before its response (the problem handlers then log nothing)."""
    return bool((scope.get("state") or {}).get(STATE_DISCONNECTED))


def note_error(scope: Any, code: str) -> None:
    """Remember a problem's code for the access line (and the 429 metric's label)."""
    scope.setdefault("state", {})[STATE_ERROR_CODE] = code
