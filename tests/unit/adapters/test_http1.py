"""The lean HTTP/1.1 client (``adapters.llm.http1``) against a scripted HTTP server on loopback: bodies by
length, chunks and end of connection, kept-alive reuse, a server that drops an idle connection, broken
and hostile answers, cancellation; and its line reader over any split of the bytes (hypothesis)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast

import pytest
import uvloop
from hypothesis import given, settings
from hypothesis import strategies as st

from autbot.adapters.llm import http1
from autbot.adapters.llm.http1 import ConnectionClosedEarly, Http1Error, Http1Pool, Reply
from autbot.adapters.llm.http1_connection import Connection
from autbot.adapters.llm.openai_http import ChatEndpoint


def ok(body: bytes, *extra: bytes) -> bytes:
    headers = b"".join(e + b"\r\n" for e in extra)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), headers, body)


def chunked(*parts: bytes) -> bytes:
    out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    return out + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@dataclass
class Step:
    """What the server does with one request: answer ``data`` (then close if asked), or close at once."""

    data: bytes = b""
    close: bool = False
    stall: bool = False
    later: bytes = b""  # sent a moment after the answer, unasked


@dataclass
class Scripted:
    steps: list[Step]
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0


class _ServerSide(asyncio.Protocol):
    def __init__(self, script: Scripted) -> None:
        self.script = script
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # not a subclass under uvloop, but it writes
        self.script.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head, sep, rest = self.buffer.partition(b"\r\n\r\n")
        if not sep:
            return
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
        )
        if len(rest) < length:
            return
        self.script.requests.append(head + sep + rest[:length])
        self.buffer = rest[length:]
        step = self.script.steps.pop(0) if self.script.steps else Step(ok(b"{}"))
        if step.stall:
            return
        self.transport.write(step.data)
        if step.later:
            asyncio.get_running_loop().call_later(0.02, self.transport.write, step.later)
        if step.close:
            self.transport.close()


@pytest.fixture
async def upstream() -> AsyncIterator[Scripted]:
    script = Scripted(steps=[])
    server = await asyncio.get_running_loop().create_server(lambda: _ServerSide(script), "127.0.0.1", 0)
    script.port = server.sockets[0].getsockname()[1]
    async with server:
        yield script


def pool_for(script: Scripted) -> Http1Pool:
    return Http1Pool("127.0.0.1", script.port, loop=asyncio.get_running_loop())


async def fetch(pool: Http1Pool, limit: int = 1 << 20) -> tuple[int, bytes]:
    async with await pool.post("/v1/x", {"Content-Type": "application/json"}, b'{"a":1}') as reply:
        return reply.status, await reply.read(limit)


async def test_a_kept_alive_connection_is_reused(upstream: Scripted) -> None:
    upstream.steps = [Step(ok(b"one")), Step(ok(b"two", b"X-Thing: 1"))]
    pool = pool_for(upstream)
    assert await fetch(pool) == (200, b"one")
    assert await fetch(pool) == (200, b"two")
    assert upstream.connections == 1
    head = upstream.requests[0]
    assert head.startswith(b"POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"Content-Length: 7\r\n" in head
    assert head.endswith(b'\r\n\r\n{"a":1}')
    pool.close()


async def test_chunked_and_until_close_bodies(upstream: Scripted) -> None:
    upstream.steps = [
        Step(chunked(b"hel", b"lo")),
        Step(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", close=True),
        Step(ok(b"after")),
    ]
    pool = pool_for(upstream)
    assert await fetch(pool) == (200, b"hello")
    assert await fetch(pool) == (200, b"until the end")
    assert await fetch(pool) == (200, b"after")
    assert upstream.connections == 2  # the until-close body ended its connection


async def test_connection_close_is_honoured(upstream: Scripted) -> None:
    upstream.steps = [Step(ok(b"a", b"Connection: close")), Step(ok(b"b"))]
    pool = pool_for(upstream)
    assert await fetch(pool) == (200, b"a")
    assert await fetch(pool) == (200, b"b")
    assert upstream.connections == 2


async def test_an_idle_connection_the_server_dropped_is_retried_once_on_a_fresh_one(upstream: Scripted) -> None:
    # the second request reaches the kept-alive connection just as the server drops it, before any answer
    upstream.steps = [Step(ok(b"first")), Step(close=True), Step(ok(b"second"))]
    pool = pool_for(upstream)
    assert await fetch(pool) == (200, b"first")
    assert await fetch(pool) == (200, b"second")
    assert upstream.connections == 2
    assert len(upstream.requests) == 3


async def test_a_fresh_connection_closed_without_an_answer_is_an_error(upstream: Scripted) -> None:
    upstream.steps = [Step(close=True)]
    with pytest.raises(ConnectionClosedEarly):
        await fetch(pool_for(upstream))
    assert len(upstream.requests) == 1  # not sent again: it was no idle connection


async def test_a_connection_closed_by_the_server_while_idle_is_not_reused(upstream: Scripted) -> None:
    upstream.steps = [Step(ok(b"a"), close=True), Step(ok(b"b"))]
    pool = pool_for(upstream)
    assert await fetch(pool) == (200, b"a")
    await asyncio.sleep(0.05)  # the close reaches the client while the connection is idle
    assert await fetch(pool) == (200, b"b")
    assert upstream.connections == 2
    assert len(upstream.requests) == 2


async def test_bytes_on_an_idle_connection_retire_it(upstream: Scripted) -> None:
    upstream.steps = [
        Step(ok(b"a") + b"HTTP/1.1 200 OK\r\n"),  # a stray piece of a second answer with the first
        Step(ok(b"b"), later=b"HTTP/1.1 200 OK\r\n"),  # and one that comes while the connection is idle
    ]
    pool = pool_for(upstream)
    assert await fetch(pool) == (200, b"a")
    assert await fetch(pool) == (200, b"b")
    await asyncio.sleep(0.05)
    assert await fetch(pool) == (200, b"{}")
    assert upstream.connections == 3


async def test_idle_connections_expire_and_the_pool_is_bounded(
    upstream: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = pool_for(upstream)
    await fetch(pool)
    monkeypatch.setattr(http1, "IDLE_S", 0.0)
    await fetch(pool)  # the idle one is too old: closed, a new one made
    assert upstream.connections == 2
    monkeypatch.setattr(http1, "MAX_IDLE", 0)
    await fetch(pool)
    assert upstream.connections == 3
    assert not pool._idle  # over the bound: closed, not kept


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "middle of the response"),
        (b"NOT HTTP AT ALL\r\n\r\n", "invalid HTTP response"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * (70 * 1024) + b"\r\n\r\n", "head is longer"),
        (b"HTTP/1.1 200 " + b"O" * (70 * 1024) + b"\r\n\r\n", "head is longer"),
    ],
)
async def test_broken_answers_are_errors_and_their_connection_is_not_kept(
    upstream: Scripted, answer: bytes, message: str
) -> None:
    upstream.steps = [Step(answer, close=True)]
    pool = pool_for(upstream)
    with pytest.raises(Http1Error, match=message):
        await fetch(pool)
    assert not pool._idle


async def test_a_body_over_its_limit_is_an_error(upstream: Scripted) -> None:
    upstream.steps = [Step(ok(b"x" * 5000))]
    pool = pool_for(upstream)
    with pytest.raises(Http1Error, match="larger than 1000 bytes"):
        await fetch(pool, limit=1000)
    assert not pool._idle


async def test_an_endless_line_is_an_error(upstream: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http1, "MAX_LINE_BYTES", 1000)
    upstream.steps = [Step(chunked(b"data: " + b"x" * 3000))]
    async with await pool_for(upstream).post("/", {}, b"") as reply:
        with pytest.raises(Http1Error, match="longer than 1000 bytes"):
            await reply.readline()


async def test_an_interim_response_is_skipped(upstream: Scripted) -> None:
    upstream.steps = [Step(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + ok(b"final"))]
    assert await fetch(pool_for(upstream)) == (200, b"final")


async def test_error_statuses_come_with_their_headers(upstream: Scripted) -> None:
    head = b"HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: 2\r\n\r\n"
    upstream.steps = [Step(head + b"no")]
    async with await pool_for(upstream).post("/", {}, b"") as reply:
        assert (reply.status, reply.headers["retry-after"], reply.headers["x-a"]) == (429, "3", "1, 2")
        assert await reply.read(100) == b"no"


async def test_header_values_cannot_inject_lines(upstream: Scripted) -> None:
    pool = pool_for(upstream)
    for bad in ({"Authorization": "Bearer x\r\nX-Evil: 1"}, {"X-Bad Name": "v"}, {"X-Nul": "a\0b"}):
        with pytest.raises(ValueError, match="invalid characters"):
            await pool.post("/", bad, b"")
    assert upstream.requests == []


async def test_a_cancelled_call_closes_its_connection(upstream: Scripted) -> None:
    upstream.steps = [Step(stall=True), Step(ok(b"later"))]
    pool = pool_for(upstream)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await fetch(pool)
    assert not pool._idle
    assert await fetch(pool) == (200, b"later")
    assert upstream.connections == 2


async def test_nothing_listening_is_an_error() -> None:
    server = await asyncio.get_running_loop().create_server(asyncio.Protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(Http1Error, match="could not connect"):
        await fetch(Http1Pool("127.0.0.1", port, loop=asyncio.get_running_loop()))


async def test_a_large_streamed_body_read_slowly_arrives_whole(upstream: Scripted) -> None:
    lines = [b"data: %d %s\n" % (i, b"y" * 1000) for i in range(1000)]  # ~1 MB: reading pauses and resumes
    upstream.steps = [Step(chunked(*lines))]
    got = []
    async with await pool_for(upstream).post("/", {}, b"") as reply:
        while line := await reply.readline():
            got.append(line)
            if len(got) % 100 == 0:
                await asyncio.sleep(0.01)
    assert got == lines


async def test_an_endpoint_closed_from_synchronous_code_closes_its_pool(upstream: Scripted) -> None:
    endpoint = ChatEndpoint(f"http://127.0.0.1:{upstream.port}/v1")
    upstream.steps = [Step(ok(b'{"choices": []}'))]
    assert await endpoint.complete({"model": "m"}, None) == {"choices": []}
    assert upstream.requests[0].startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    pool = endpoint._client()._pool  # type: ignore[union-attr]
    assert len(pool._idle) == 1
    endpoint.close()  # scheduled on the running loop
    await asyncio.sleep(0.01)
    assert not pool._idle
    endpoint.close()  # twice: nothing left to close


def test_it_runs_on_uvloop() -> None:
    """The server runs uvloop, whose transports are not ``asyncio.Transport`` subclasses."""

    async def main() -> tuple[int, bytes]:
        script = Scripted(steps=[Step(ok(b"uv"))])
        server = await asyncio.get_running_loop().create_server(lambda: _ServerSide(script), "127.0.0.1", 0)
        script.port = server.sockets[0].getsockname()[1]
        async with server:
            return await fetch(pool_for(script))

    assert uvloop.run(main()) == (200, b"uv")


class _Transport(asyncio.Transport):
    """Enough of a transport for feeding a connection bytes by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"") + b"\n"), max_size=20),
    tail=st.binary(max_size=10).map(lambda b: b.replace(b"\n", b"")),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
    use_chunks=st.booleans(),
)
def test_lines_come_out_whole_however_the_bytes_are_split(
    lines: list[bytes], tail: bytes, cuts: list[int], use_chunks: bool
) -> None:
    body = b"".join(lines) + tail
    wire = chunked(*[body[i : i + 7] for i in range(0, len(body), 7)]) if use_chunks else ok(body)
    points = sorted({0, len(wire), *(c % (len(wire) + 1) for c in cuts)})
    pieces = [wire[a:b] for a, b in itertools.pairwise(points)]

    async def read_all() -> list[bytes]:
        conn = Connection()
        conn.connection_made(_Transport())
        for piece in pieces:
            conn.data_received(piece)
        await conn.head()
        reply = Reply(Http1Pool("h", 80, loop=asyncio.get_running_loop()), conn)
        out = []
        while line := await reply.readline():
            out.append(line)
        return out

    expected = [*lines, tail] if tail else lines
    assert asyncio.run(read_all()) == expected


async def test_the_host_header_names_the_origin_as_a_url_would() -> None:
    loop = asyncio.get_running_loop()
    assert b"\r\nHost: llm.example\r\n" in Http1Pool("llm.example", 80, loop=loop).head("/v1", {}, 0)
    assert b"\r\nHost: [::1]:8080\r\n" in Http1Pool("::1", 8080, loop=loop).head("/v1", {}, 0)
    assert b"\r\nHost: [::1]\r\n" in Http1Pool("::1", 80, loop=loop).head("/v1", {}, 0)
