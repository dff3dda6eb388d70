"""uvicorn's httptools protocol with the header timeout (see :mod:`autbot.entrypoints.server.protocols`).

A module of its own because it imports ``httptools`` (a C parser, installed with ``uvicorn[standard]``):
``serving.http_protocol`` imports it only when httptools is importable.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from autbot.entrypoints.server.protocols import HeaderDeadline


class HeaderTimeoutHttpToolsProtocol(HeaderDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol that closes a connection whose request headers are late.

    The timer is armed at the connection and by the parser's ``on_message_begin`` (the first byte of a
    request; kept alive, of the next one) unless already running, and cancelled by ``on_headers_complete``.
    """

    def on_message_begin(self) -> None:
        if self._header_timer is None:  # a next request on a kept-alive connection: its first byte is here
            self._arm_header_timer()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)
