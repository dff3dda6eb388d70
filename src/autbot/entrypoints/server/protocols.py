"""uvicorn's HTTP/1.1 protocols with a deadline on the request head (see :mod:`autbot.entrypoints.server.runtime`).

``HeaderDeadline`` is the timer both protocols share; ``HeaderTimeoutH11Protocol`` is uvicorn's pure-Python h11
protocol with it. The httptools one lives in :mod:`autbot.entrypoints.server.httptools_protocol`, imported only
where httptools is installed.
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEADER_TIMEOUT_S = 10.0


class HeaderDeadline(asyncio.Protocol):
    """The header timer both protocols share: armed at the connection and at a next request's first byte,
    cancelled once the headers are complete; when it fires the connection is closed without an answer.
    A mixin before uvicorn's protocol class, which sets ``config``, ``loop`` and ``transport``."""

    config: uvicorn.Config
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _header_timer: asyncio.TimerHandle | None = None

    @property
    def header_timeout_s(self) -> float:
        return float(getattr(self.config, "header_timeout_s", DEFAULT_HEADER_TIMEOUT_S))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_pending(self) -> bool:
        return True  # the httptools protocol cancels the timer on its headers-complete callback

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._headers_pending() and not self.transport.is_closing():
            self.transport.close()


class HeaderTimeoutH11Protocol(HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose request headers are late."""

    def data_received(self, data: bytes) -> None:
        if self._header_timer is None and self.conn.their_state is h11.IDLE:
            self._arm_header_timer()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._cancel_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _headers_pending(self) -> bool:
        return self.conn.their_state is h11.IDLE
