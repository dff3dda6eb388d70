"""A lean HTTP/1.1 client for one plain-``http`` origin: kept-alive connections, ``httptools``' C parser.

Why: on the relay (``bench/relay.py``) aiohttp's client cost about a third of AutBot's CPU for a relayed
request; this one, a request written in one ``write`` and a response parsed by llhttp, costs a fraction.
It does what an OpenAI-compatible endpoint needs and no more: ``POST`` with a body, a response with a
Content-Length, chunked or read-until-close body, connections kept alive when the server allows. No TLS,
no proxies, no redirects, no compression: ``openai_http`` sends those calls through aiohttp.

Hostile or broken endpoints: response heads are bounded (``MAX_HEAD_BYTES``), bodies by the caller's
limit, lines by ``MAX_LINE_BYTES``; a parse error, a connection lost mid-response or a body over its
bound is an :class:`Http1Error` and the connection is closed, never pooled. A request whose kept-alive
connection turns out to be closed by the server before any byte of the answer came back is sent once
more on a fresh connection (the server had dropped the idle connection, not the request).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from types import TracebackType
from typing import cast

import httptools

MAX_HEAD_BYTES = 64 * 1024
"""Status line and headers of one response."""
MAX_LINE_BYTES = 1024 * 1024
"""One line of a streamed body (one server-sent event's ``data:`` line)."""
IDLE_S = 15.0
"""A pooled connection idle longer than this is closed instead of reused."""
MAX_IDLE = 256
"""Idle connections kept per pool; more are closed."""
_HIGH_WATER = 256 * 1024  # buffered body bytes past which reading pauses until the caller catches up


class Http1Error(Exception):
    """The connection failed, broke or carried something that is not a valid HTTP/1.1 response."""


class ConnectFailed(Http1Error):
    """No connection could be made (refused, unreachable, name not resolved)."""


class ConnectionClosedEarly(Http1Error):
    """The connection closed before any byte of the response (on a reused connection: try once more)."""


def _header_bytes(name: str, value: str) -> bytes:
    if any(c in value for c in "\r\n\0") or any(c in name for c in "\r\n\0: "):
        raise ValueError(f"invalid characters in the {name!r} header")
    return f"{name}: {value}\r\n".encode("latin-1")


def _head_too_long() -> Http1Error:
    return Http1Error(f"the response head is longer than {MAX_HEAD_BYTES} bytes")


class _Connection(asyncio.Protocol):
    """One connection, one response at a time; the parser's callbacks fill the current response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._begin()

    def _begin(self) -> None:
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


class Reply:
    """An answer being read: ``status`` and ``headers`` (lower-case names) are known; read the body whole
    (:meth:`read`) or line by line (:meth:`readline`). Leave the ``async with`` to give the connection back
    (when the body was read to its end and the server keeps it alive) or close it."""

    def __init__(self, pool: Http1Pool, conn: _Connection) -> None:
        self._pool, self._conn = pool, conn
        self.status = conn.status
        self.headers: Mapping[str, str] = conn.headers
        self._pending = b""

    async def read(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while chunk := await self._conn.chunk():
            size += len(chunk)
            if size > limit:
                self._conn.close()
                raise Http1Error(f"the response body is larger than {limit} bytes")
            parts.append(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def readline(self) -> bytes:
        """The next line with its ``\\n``, the last one without it, or ``b""`` at the end of the body."""
        while True:
            end = self._pending.find(b"\n")
            if end >= 0:
                line, self._pending = self._pending[: end + 1], self._pending[end + 1 :]
                return line
            if len(self._pending) > MAX_LINE_BYTES:
                self._conn.close()
                raise Http1Error(f"a line of the response is longer than {MAX_LINE_BYTES} bytes")
            chunk = await self._conn.chunk()
            if not chunk:
                line, self._pending = self._pending, b""
                return line
            self._pending = self._pending + chunk if self._pending else chunk

    async def __aenter__(self) -> Reply:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.release(self._conn)


class Http1Pool:
    """Kept-alive connections to one ``http://host:port``, for the event loop that made them."""

    def __init__(self, host: str, port: int, *, loop: asyncio.AbstractEventLoop) -> None:
        self._host, self._port, self._loop = host, port, loop
        self._authority = host if port == 80 else f"{host}:{port}"
        if ":" in host:  # an IPv6 literal
            self._authority = f"[{host}]" if port == 80 else f"[{host}]:{port}"
        self._idle: deque[_Connection] = deque()

    def head(self, path: str, headers: Mapping[str, str], length: int) -> bytes:
        """The request line and headers of a ``POST`` of ``length`` bytes (header values are checked: no
        CR, LF or NUL reaches the wire)."""
        lines = [f"POST {path} HTTP/1.1\r\nHost: {self._authority}\r\nContent-Length: {length}\r\n".encode()]
        lines.extend(_header_bytes(name, value) for name, value in headers.items())
        lines.append(b"\r\n")
        return b"".join(lines)

    async def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Send the request and wait for the response's head; the body is read from the :class:`Reply`."""
        request = self.head(path, headers, len(body)) + body
        conn, reused = await self._acquire()
        try:
            return await self._send(conn, request)
        except ConnectionClosedEarly:
            if not reused:
                raise
        conn, _ = await self._acquire(fresh=True)  # the server had closed the idle connection
        return await self._send(conn, request)

    async def _send(self, conn: _Connection, request: bytes) -> Reply:
        conn._begin()
        try:
            assert conn.transport is not None  # connected by _acquire
            conn.transport.write(request)
            await conn.head()
        except BaseException:
            conn.close()
            raise
        return Reply(self, conn)

    async def _acquire(self, *, fresh: bool = False) -> tuple[_Connection, bool]:
        now = self._loop.time()
        while self._idle and not fresh:
            conn = self._idle.pop()
            if not conn.closed and now - conn.idle_since < IDLE_S and not conn.transport_closing():
                return conn, True
            conn.close()
        try:
            _, conn = await self._loop.create_connection(_Connection, self._host, self._port)
        except OSError as e:
            raise ConnectFailed(f"could not connect: {e.strerror or type(e).__name__}") from e
        return conn, False

    def release(self, conn: _Connection) -> None:
        if not conn.reusable() or len(self._idle) >= MAX_IDLE:
            conn.close()
            return
        conn.idle_since = self._loop.time()
        self._idle.append(conn)

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
