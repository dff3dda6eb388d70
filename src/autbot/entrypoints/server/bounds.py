"""What one HTTP/1.1 connection may hold of the server, whoever is calling: the bounds both protocols share
(h11's in :mod:`.protocols`, httptools' in :mod:`.httptools_protocol`).

``ConnectionBounds`` is a mixin before uvicorn's protocol class. Each protocol calls its two hooks from its
parser's events (``_headers_complete``: the request line and headers are in; ``_message_complete``: the
request's last body byte is in):

- **The head's time.** A timer armed at the connection and at the first byte of a kept-alive connection's next
  request, stopped once the headers are complete; when it fires (``server.header_timeout_s``) the connection is
  closed without an answer.
- **The head's size.** The request line and header fields of one request stay within ``server.max_head_bytes``.
  A head still incomplete past it (the bytes its parser holds), or complete and larger (:func:`head_size`, the
  same measure for both parsers), gets 431 ``request_head_too_large`` and the connection is closed.
- **A body left unread.** An answer sent before the request body was read (a 401, 404, 413 or 415 refuses a
  request before its body) leaves the rest of that body on the wire: the protocol reads and drops it (closing
  with input unread can lose the answer, RFC 9112 9.6), and the connection then waits for its next request
  under the usual keep-alive timeout. The drop is held to ``server.body_timeout_s`` from the headers, like a body
  that is read: past it the connection is closed.
- **A response the client does not read.** The transport stops the app's writes while its buffer is full
  (``pause_writing``); if it is still full ``server.send_timeout_s`` later, the connection is dropped (closing
  would wait for the buffer to empty, which a client that reads nothing never lets happen).
- **A request its parser refuses** gets 400 ``malformed_request``; the connection is closed.
- **An Upgrade** (``h2c``, ``websocket``: no route takes one, so the server runs with ``ws = "none"``) is not
  honoured: the request is answered as plain HTTP, without uvicorn's warning line per request.

A refusal is a whole problem+json answer written here, below the app (this module cannot use the HTTP error
table): ``type``, ``title`` and ``code`` come from the domain error, as the table's do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import msgspec
import uvicorn
from uvicorn.server import ServerState

from autbot.domain import limits
from autbot.domain.errors import AutbotError, MalformedRequest, RequestHeadTooLarge

_REQUEST_LINE_AND_END = len(b"  HTTP/1.1\r\n") + len(b"\r\n")
_HEADER_LINE = len(b": \r\n")


def head_size(method: bytes | str, target: bytes, headers: Iterable[tuple[bytes, bytes]]) -> int:
    """The bytes of a parsed request head: ``METHOD target HTTP/1.1``, each ``name: value`` line, the blank line
    (as the parser kept them: the optional spaces around a value are not counted)."""
    fields = sum(len(name) + len(value) + _HEADER_LINE for name, value in headers)
    return len(method) + len(target) + _REQUEST_LINE_AND_END + fields


def refusal(status: int, error: type[AutbotError], detail: str) -> bytes:
    """A whole HTTP/1.1 answer carrying the problem+json of ``error``, announcing that the connection closes."""
    body = msgspec.json.encode(
        {
            "type": f"https://autbot.dev/problems/{error.code}",
            "title": error.default_message,
            "status": status,
            "detail": detail,
            "code": error.code,
        }
    )
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class ConnectionBounds:
    """The bounds of the module docstring, for one connection. A mixin before uvicorn's protocol class."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any
    """uvicorn's request-response cycle of the latest request (``None`` before the first)."""
    timeout_keep_alive: int
    timeout_keep_alive_task: asyncio.TimerHandle | None
    timeout_keep_alive_handler: Callable[[], None]

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)  # type: ignore[call-arg]  # uvicorn's protocol
        self.header_timeout_s = float(getattr(config, "header_timeout_s", limits.HEADER_TIMEOUT_S))
        self.body_timeout_s = float(getattr(config, "body_timeout_s", limits.BODY_TIMEOUT_S))
        self.send_timeout_s = float(getattr(config, "send_timeout_s", limits.SEND_TIMEOUT_S))
        self.max_head_bytes = int(getattr(config, "max_head_bytes", limits.MAX_REQUEST_HEAD_BYTES))
        self._header_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._drain_timer: asyncio.TimerHandle | None = None
        self._headers_at = 0.0
        self._drained = False
        self._in_body = False
        """Between a request's complete head and its last body byte."""
        self._refusal: int | None = None
        """The status a refused request gets once the answers before it are written; nothing is read meanwhile."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]  # uvicorn's protocol
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        self._cancel_drain()
        self._cancel_send_timer()
        super().connection_lost(exc)  # type: ignore[misc]  # uvicorn's protocol

    # --- the head's time ---------------------------------------------------------------------------

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _headers_complete(self) -> None:
        """The parser has the whole head (within the bound): the header timer stops, a body's deadline counts
        from now."""
        self._cancel_header_timer()
        self._headers_at = self.loop.time()
        self._in_body = True

    # --- a response not read -------------------------------------------------------------------------

    def pause_writing(self) -> None:
        super().pause_writing()  # type: ignore[misc]  # uvicorn's protocol: the app's writes wait
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self.send_timeout_s, self._sends_too_slow)

    def resume_writing(self) -> None:
        self._cancel_send_timer()
        super().resume_writing()  # type: ignore[misc]  # uvicorn's protocol

    def _sends_too_slow(self) -> None:
        self._send_timer = None
        self.transport.abort()  # the app's waiting write then ends: uvicorn sees the connection lost

    def _cancel_send_timer(self) -> None:
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    # --- refusals ----------------------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request its parser refuses (it logs ``msg`` itself): problem+json, then close."""
        self._refuse(self._refusal_status())

    def _refusal_status(self) -> int:
        """400, or 431 where the parser refused a head over ``max_head_bytes``."""
        return 400

    def _refuse(self, status: int) -> None:
        """Answer ``status`` and close: at once, or after the answers to the requests read before this one (a
        pipelining client reads its answers in order). Nothing more is read meanwhile. Within a body (its chunk
        lines or trailer fields past the bound) the request may already be answered or being read by the app:
        the connection is closed without an answer."""
        self._cancel_header_timer()
        self._refusal = status
        if self._in_body:
            if not self.transport.is_closing():
                self.transport.close()
        elif not self._answering():
            self._write_refusal()

    def _answering(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _write_refusal(self) -> None:
        if self.transport.is_closing():
            return
        if self._refusal == 431:
            detail = f"The request line and headers are over {self.max_head_bytes} bytes (server.max_head_bytes)."
            answer = refusal(431, RequestHeadTooLarge, detail)
        else:
            answer = refusal(400, MalformedRequest, "The server could not read an HTTP/1.1 request here.")
        self.transport.write(answer)
        self.transport.close()

    def _unsupported_upgrade_warning(self) -> None:
        """An Upgrade this server does not honour: the request is answered as plain HTTP (RFC 9110, 7.8)."""

    # --- a body left unread ------------------------------------------------------------------------

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]  # uvicorn's protocol: its keep-alive timer
        if self._refusal is not None:
            if not self._answering():
                self._write_refusal()
            return
        cycle = self.cycle
        if cycle is not None and cycle.response_complete and cycle.more_body and not self.transport.is_closing():
            self._cancel_drain()
            self._drain_timer = self.loop.call_at(self._headers_at + self.body_timeout_s, self._drain_too_slow)

    def _message_complete(self) -> None:
        """The request's last body byte is in: a body drained after its answer is done with its deadline."""
        self._in_body = False
        if self._drain_timer is not None:
            self._cancel_drain()
            self._drained = True

    def _after_read(self) -> None:
        """After each read: a connection whose drained body just ended waits for its next request under uvicorn's
        keep-alive timeout, as after any answer (each byte read had stopped that timer)."""
        if not self._drained:
            return
        self._drained = False
        idle = self.cycle is None or self.cycle.response_complete  # no next request answered meanwhile
        waiting = self._header_timer is not None or self.timeout_keep_alive_task is not None
        if idle and not waiting and not self.transport.is_closing():
            timeout, handler = self.timeout_keep_alive, self.timeout_keep_alive_handler
            self.timeout_keep_alive_task = self.loop.call_later(timeout, handler)

    def _drain_too_slow(self) -> None:
        self._drain_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _cancel_drain(self) -> None:
        if self._drain_timer is not None:
            self._drain_timer.cancel()
            self._drain_timer = None
