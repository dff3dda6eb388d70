"""uvicorn's pure-Python h11 protocol within the connection bounds (:mod:`autbot.entrypoints.server.bounds`).

h11 itself holds an incomplete head to ``max_incomplete_event_size`` (here ``server.max_head_bytes``) and says
431 when it is passed; ``BoundedH11Connection`` adds the same bound on a complete head and tells the protocol
when a request's head and its last body byte are in. The httptools protocol lives in
:mod:`autbot.entrypoints.server.httptools_protocol`, imported only where httptools is installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from autbot.entrypoints.server.bounds import ConnectionBounds, head_size


class BoundedH11Connection(h11.Connection):
    """h11's server side with a bound on complete heads too, and hooks for the protocol's deadlines."""

    def __init__(self, max_head_bytes: int, *, on_head: Callable[[], None], on_end: Callable[[], None]) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_head_bytes)
        self.max_head_bytes = max_head_bytes
        self.refused_with = 400
        """The status h11 hints at for the last request it refused (431: a head over the bound)."""
        self._on_head = on_head
        self._on_end = on_end

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as e:
            self.refused_with = e.error_status_hint
            raise
        if type(event) is h11.Request:
            if head_size(event.method, event.target, event.headers.raw_items()) > self.max_head_bytes:
                self.refused_with = 431
                raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
            self._on_head()
        elif type(event) is h11.EndOfMessage:
            self._on_end()
        return event


class BoundedH11Protocol(ConnectionBounds, H11Protocol):
    """uvicorn's h11 protocol within the connection bounds."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.conn: BoundedH11Connection = BoundedH11Connection(
            self.max_head_bytes, on_head=self._headers_complete, on_end=self._message_complete
        )

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return
        if self._header_timer is None and self.conn.their_state is h11.IDLE:
            self._arm_header_timer()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        self._after_read()

    def _refusal_status(self) -> int:
        return 431 if self.conn.refused_with == 431 else 400
