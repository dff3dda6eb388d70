"""One HTTP/1.1 client connection of ``http1``: an asyncio protocol whose httptools (llhttp) callbacks fill
the response being read, with the response head bounded and reading paused while the caller lags behind."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import cast

import httptools

MAX_HEAD_BYTES = 64 * 1024
"""Status line and headers of one response."""
_HIGH_WATER = 256 * 1024  # buffered body bytes past which reading pauses until the caller catches up


class Http1Error(Exception):
    """The connection failed, broke or carried something that is not a valid HTTP/1.1 response."""


class ConnectFailed(Http1Error):
    """No connection could be made (refused, unreachable, name not resolved)."""


class ConnectionClosedEarly(Http1Error):
    """The connection closed before any byte of the response (on a reused connection: try once more)."""


def _head_too_long() -> Http1Error:
    return Http1Error(f"the response head is longer than {MAX_HEAD_BYTES} bytes")


class Connection(asyncio.Protocol):
    """One connection, one response at a time; the parser's callbacks fill the current response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self.begin_response()

    def begin_response(self) -> None:
        """Forget the last response: the next request's begins."""
        self.status = 0
        self.headers: dict[str, str] = {}
        self.head_done = False
        self.complete = False
        self.keep_alive = False  # what the parser said at the end of the response (it forgets right after)
        self.received = 0  # bytes of this response so far
        self._head_bytes = 0
        self.error: Exception | None = None
        self._body: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream transport (uvloop's is no subclass)

    def data_received(self, data: bytes) -> None:
        if self.complete:  # bytes nobody asked for (on an idle connection): its state is unknown now
            self.close()
            return
        self.received += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as e:
            self._fail(Http1Error(f"invalid HTTP response: {e}"))  # (unless a callback failed it first)
        if not self.head_done and self.received > MAX_HEAD_BYTES:
            self._fail(_head_too_long())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.complete or self.error is not None:
            return
        if self.head_done and self._until_close():
            self.complete = True  # a body delimited by the end of the connection
            self._wake()
        elif self.received == 0:
            self._fail(ConnectionClosedEarly("the connection closed before the response"))
        else:
            self._fail(Http1Error("the connection closed in the middle of the response"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self.complete:  # a second answer to one request (stray bytes after it): not reused
            self.keep_alive = False

    def on_status(self, status: bytes) -> None:
        self._count_head(len(status))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._fail(_head_too_long())
            raise _head_too_long()  # stops the parser

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:  # an interim response (103 Early Hints): the real one follows
            self.headers = {}
            self._head_bytes = 0
            return
        self.status = status
        self.head_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.head_done:
            self.keep_alive = self._parser.should_keep_alive()
            self.complete = True
            self._wake()

    # the caller's side
    def _until_close(self) -> bool:
        return "content-length" not in self.headers and "chunked" not in self.headers.get("transfer-encoding", "")

    def _fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        self.close()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self) -> None:
        if self.error is not None:
            raise self.error
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None
        if self.error is not None:
            raise self.error

    async def head(self) -> None:
        while not self.head_done:
            await self._wait()

    def _take(self) -> bytes:
        data = b"".join(self._body) if len(self._body) != 1 else self._body[0]
        self._body.clear()
        self._buffered = 0
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self.transport.resume_reading()
        return data

    async def chunk(self) -> bytes:
        """The body bytes received since the last call; ``b""`` once the body is complete."""
        while not self._body:
            if self.complete:
                return b""
            await self._wait()
        return self._take()

    def transport_closing(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and self.error is None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
