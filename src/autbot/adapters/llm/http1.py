"""A lean HTTP/1.1 client for one plain-``http`` origin: kept-alive connections, ``httptools``' C parser.

Why: with this client instead of aiohttp (a request written in one ``write``, the response parsed by llhttp),
a relayed request costs AutBot less CPU (docs/benchmarks.md §6).
It does what an OpenAI-compatible endpoint needs and no more: ``POST`` with a body, a response with a
Content-Length, chunked or read-until-close body, connections kept alive when the server allows. No TLS,
no proxies, no redirects, no compression: ``openai_http`` sends those calls through aiohttp.

Hostile or broken endpoints: response heads are bounded (``http1_connection.MAX_HEAD_BYTES``), bodies by the caller's
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

from autbot.adapters.llm.http1_connection import ConnectFailed, Connection, ConnectionClosedEarly, Http1Error

__all__ = ["ConnectFailed", "ConnectionClosedEarly", "Http1Error", "Http1Pool", "Reply"]

MAX_LINE_BYTES = 1024 * 1024
"""One line of a streamed body (one server-sent event's ``data:`` line)."""
IDLE_S = 15.0
"""A pooled connection idle longer than this is closed instead of reused."""
MAX_IDLE = 256
"""Idle connections kept per pool; more are closed."""


def _header_bytes(name: str, value: str) -> bytes:
    if any(c in value for c in "\r\n\0") or any(c in name for c in "\r\n\0: "):
        raise ValueError(f"invalid characters in the {name!r} header")
    return f"{name}: {value}\r\n".encode("latin-1")


class Reply:
    """An answer being read: ``status`` and ``headers`` (lower-case names) are known; read the body whole
    (:meth:`read`) or line by line (:meth:`readline`). Leave the ``async with`` to give the connection back
    (when the body was read to its end and the server keeps it alive) or close it."""

    def __init__(self, pool: Http1Pool, conn: Connection) -> None:
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
        self._idle: deque[Connection] = deque()

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

    async def _send(self, conn: Connection, request: bytes) -> Reply:
        conn.begin_response()
        try:
            assert conn.transport is not None  # connected by _acquire
            conn.transport.write(request)
            await conn.head()
        except BaseException:
            conn.close()
            raise
        return Reply(self, conn)

    async def _acquire(self, *, fresh: bool = False) -> tuple[Connection, bool]:
        now = self._loop.time()
        while self._idle and not fresh:
            conn = self._idle.pop()
            if not conn.closed and now - conn.idle_since < IDLE_S and not conn.transport_closing():
                return conn, True
            conn.close()
        try:
            _, conn = await self._loop.create_connection(Connection, self._host, self._port)
        except OSError as e:
            raise ConnectFailed(f"could not connect: {e.strerror or type(e).__name__}") from e
        return conn, False

    def release(self, conn: Connection) -> None:
        if not conn.reusable() or len(self._idle) >= MAX_IDLE:
            conn.close()
            return
        conn.idle_since = self._loop.time()
        self._idle.append(conn)

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
