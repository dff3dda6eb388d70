"""uvicorn's httptools protocol within the connection bounds (:mod:`autbot.entrypoints.server.bounds`).

A module of its own because it imports ``httptools`` (a C parser, installed with ``uvicorn[standard]``):
``runtime.http_protocol`` imports it only when httptools is importable.

httptools holds a header line in memory until it ends, however long it grows (a chunked body's trailer fields
too), and uvicorn collects the URL the same way: neither bounds a head. Here reads that carry no body byte and
end no head or message are counted one after another (so a head that starts within a read, after the previous
request, counts from the next read); past ``server.max_head_bytes`` the request gets 431. A complete head is
measured with :func:`~autbot.entrypoints.server.bounds.head_size`, as the h11 protocol does.

llhttp ends a request at its head when it carries ``Upgrade`` (or is a ``CONNECT``), and would read what
follows, the declared body included, as the next request. An Upgrade is never honoured here, so such a request
is answered as plain HTTP, and the connection closed after it without reading further.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from autbot.entrypoints.server.bounds import ConnectionBounds, head_size


class HeadTooLarge(Exception):
    """Raised in a parser callback to stop httptools; uvicorn then answers through ``send_400_response``."""


class BoundedHttpToolsProtocol(ConnectionBounds, HttpToolsProtocol):
    """uvicorn's httptools protocol within the connection bounds."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._events = 0
        """Body bytes, heads and messages the parser saw: a read during which it changed was not all head."""
        self._unbroken = 0
        """Bytes of the reads since the last one that changed ``_events``: a head, or trailer fields, in progress."""
        self._head_too_large = False
        self._closing_after_upgrade = False

    def data_received(self, data: bytes) -> None:
        if self._closing_after_upgrade or self._refusal is not None:
            return
        events = self._events
        super().data_received(data)
        if events != self._events:
            self._unbroken = 0
        else:
            self._unbroken += len(data)
            if self._unbroken > self.max_head_bytes and self._refusal is None:
                self._head_too_large = True
                self.logger.warning("Invalid HTTP request received.")  # uvicorn's line for a refused request
                self._refuse(431)
        self._after_read()

    def on_message_begin(self) -> None:
        if self._header_timer is None:  # a next request on a kept-alive connection: its first byte is here
            self._arm_header_timer()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._events += 1
        if head_size(self.parser.get_method(), self.url, self.headers) > self.max_head_bytes:
            self._head_too_large = True
            raise HeadTooLarge
        self._headers_complete()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._events += 1
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._events += 1
        self._message_complete()
        super().on_message_complete()

    def _refusal_status(self) -> int:
        return 431 if self._head_too_large else 400

    def _unsupported_upgrade_warning(self) -> None:
        """An Upgrade (or CONNECT) not honoured: this request is answered, and the connection closed after it."""
        self._closing_after_upgrade = True
        if self.cycle is not None:
            self.cycle.keep_alive = False
