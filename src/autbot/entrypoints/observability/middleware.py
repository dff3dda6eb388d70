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

from autbot.domain.auth import Principal
from autbot.domain.correlation import REQUEST_ID, accepted_request_id
from autbot.entrypoints.observability.logs import access_line
from autbot.entrypoints.observability.telemetry import Telemetry

CLIENT_CLOSED = 499
"""nginx's status for a request whose client went away before the response."""
STATE_DISCONNECTED = "client_disconnected"
STATE_ERROR_CODE = "error_code"
STATE_STATUS = "status"
STATE_LIMIT = "limit_name"  # a 429 from a limit no route carries (limits.auth_failures): its metric label
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
"""Method label values; any other method a client invents is counted as ``OTHER``."""


class ObservedApp:
    def __init__(self, app: Any, telemetry: Telemetry, *, access_log: bool = True) -> None:
        self.app = app
        self.telemetry = telemetry
        self.access_log = access_log
        self.tracing = telemetry.provider is not None
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[str, Any] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = next((value for name, value in scope.get("headers") or () if name.lower() == b"x-request-id"), None)
        rid = accepted_request_id(raw.decode("latin-1") if raw is not None else None)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = rid
        sent = [0, 0]  # status, body bytes
        rid_header = (b"x-request-id", rid.encode())

        async def receive_watch() -> Any:
            message = await receive()
            if message["type"] == "http.disconnect" and not sent[0]:
                state[STATE_DISCONNECTED] = True
            return message

        async def send_tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                sent[0] = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            elif message["type"] == "http.response.body":
                sent[1] += len(message.get("body", b""))
            await send(message)

        token = REQUEST_ID.set(rid)
        started = time.perf_counter()
        self.telemetry.metrics.in_flight.inc()
        error: BaseException | None = None
        span = self._span(scope["method"], rid)
        try:
            await self.app(scope, receive_watch, send_tagged)
        except BaseException as e:
            error = e
            raise
        finally:
            gone = isinstance(error, (asyncio.CancelledError, anyio.EndOfStream, anyio.BrokenResourceError))
            self._observe(scope, state, gone=gone, status=sent[0], size=sent[1], started=started)
            if span is not None:
                self._end_span(span, scope, error)
            REQUEST_ID.reset(token)

    def _span(self, method: str, rid: str) -> Any:
        """The request's span, made current; None when tracing is off (no per-request work at all then)."""
        if not self.tracing:
            return None
        manager = self.telemetry.tracer.start_as_current_span(method, kind=_server_kind())
        span = manager.__enter__()
        span.set_attribute("autbot.request_id", rid)
        span.set_attribute("http.request.method", method)
        return (manager, span)

    @staticmethod
    def _end_span(span: Any, scope: Any, error: BaseException | None) -> None:
        manager, current = span
        current.update_name(f"{scope['method']} {scope.get('path_template') or 'unmatched'}")
        current.set_attribute("http.route", str(scope.get("path_template") or "unmatched"))
        current.set_attribute("http.response.status_code", scope["state"].get(STATE_STATUS, 500))
        if error is None:
            manager.__exit__(None, None, None)
        else:
            manager.__exit__(type(error), error, error.__traceback__)

    def _observe(
        self, scope: Any, state: dict[str, Any], *, gone: bool, status: int, size: int, started: float
    ) -> None:
        m = self.telemetry.metrics
        m.in_flight.dec()
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"  # bounded label values
        route = str(scope.get("path_template") or "unmatched")
        status = CLIENT_CLOSED if gone or state.get(STATE_DISCONNECTED) else status or 500
        elapsed = time.perf_counter() - started
        counter = self._counters.get((route, method, status))
        if counter is None:  # a child per (route, method, status): looked up once, not on every request
            counter = self._counters[(route, method, status)] = m.requests.labels(route, method, str(status))
            self._histograms[route] = m.duration.labels(route)
        counter.inc()
        self._histograms[route].observe(elapsed)
        if status == 429:
            self._count_limited(scope, state)
        state[STATE_STATUS] = status
        if self.access_log:
            self._log(method, route, status, elapsed, size, state)

    def _count_limited(self, scope: Any, state: dict[str, Any]) -> None:
        handler = scope.get("route_handler")
        name = state.get(STATE_LIMIT) or (handler.opt.get("rate_limit") if handler is not None else None)
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
        access_line(level, "client closed the connection: " + text if status == CLIENT_CLOSED else text, fields)


def _server_kind() -> Any:
    from opentelemetry.trace import SpanKind

    return SpanKind.SERVER


def client_gone(scope: Any) -> bool:
    """Whether the client disconnected before its response (the problem handlers then log nothing)."""
    return bool((scope.get("state") or {}).get(STATE_DISCONNECTED))


def note_error(scope: Any, code: str) -> None:
    """Remember a problem's code for the access line (and the 429 metric's label)."""
    scope.setdefault("state", {})[STATE_ERROR_CODE] = code
