"""The connection bounds of both HTTP protocols (``server.bounds``), driven in-process with a transport double:
the head's size (431), a body left unread by an early answer (dropped under the body deadline), a request the
parser refuses (400 problem), an Upgrade that is not honoured.

Deadlines here are a few hundredths of a second and the tests wait well past them, then assert what happened
to the connection (closed or not, what was written), never how fast. Against a real ``autbot serve``:
tests/integration/test_connection_bounds.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.entrypoints.server import protocols
from autbot.entrypoints.server.bounds import head_size
from autbot.entrypoints.server.httptools_protocol import BoundedHttpToolsProtocol
from tests.support.transport import Transport, connect

PROTOCOLS = {"httptools": BoundedHttpToolsProtocol, "h11": protocols.BoundedH11Protocol}
MAX = 2048
SHORT_S = 0.1
WAIT_S = 0.6
LONG_S = 60.0
"""A deadline no test waits for: a connection closed in a test was closed by another bound."""


async def refusing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers a POST 401 before reading its body (as the authentication middleware does), unless its path is
    ``/read``; every other request 200 (after its whole body)."""
    status = 401 if scope["method"] == "POST" and scope["path"] != "/read" else 200
    while status == 200 and scope["method"] == "POST":
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"no" if status == 401 else b"ok"})


@pytest.fixture(params=sorted(PROTOCOLS))
def parser(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def open_connection(parser: str, **bounds: Any) -> tuple[Any, Transport]:
    settings = {"header_timeout_s": LONG_S, "body_timeout_s": LONG_S, "max_head_bytes": MAX, **bounds}
    return connect(PROTOCOLS[parser], refusing_app, **settings)


def statuses(written: bytes) -> list[bytes]:
    """The status of each answer written (the app's bodies end without a line break)."""
    return re.findall(rb"HTTP/1\.1 (\d{3}) ", written)


def problem(written: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(written.partition(b"\r\n\r\n")[2])
    return body


def padded_head(size: int) -> bytes:
    """A complete GET head of exactly ``size`` bytes."""
    start, end = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ", b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


# --- the head's size ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start", [b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: ", b"GET /", b"GET / HTTP/1.1\r\nX-"], ids=str
)
async def test_a_head_streamed_without_end_gets_431_at_the_bound(parser: str, start: bytes) -> None:
    """A header value, a URL, a header name that never end: refused once past the bound, long before the
    header timeout, having taken in at most one read beyond it."""
    protocol, transport = open_connection(parser)
    fed, piece = 0, b"a" * 256
    protocol.data_received(start)
    while not transport.closed and fed < 100 * MAX:
        protocol.data_received(piece)
        fed += len(piece)
    assert transport.closed
    assert fed <= MAX + len(piece)
    assert statuses(transport.written) == [b"431"]
    body = problem(transport.written)
    assert (body["code"], body["status"]) == ("request_head_too_large", 431)
    assert b"connection: close" in transport.written.lower()


@pytest.mark.parametrize("answered", [False, True], ids=["read", "refused"])
async def test_trailer_fields_streamed_without_end_are_cut_at_the_bound(parser: str, answered: bool) -> None:
    """Trailer fields of a chunked body are header fields too: httptools held a growing one in memory."""
    protocol, transport = open_connection(parser)
    path = b"/refused" if answered else b"/read"
    protocol.data_received(
        b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-T: "
    )
    await asyncio.sleep(0.02)
    fed, piece = 0, b"a" * 256
    while not transport.closed and fed < 100 * MAX:
        protocol.data_received(piece)
        fed += len(piece)
    assert transport.closed
    assert fed <= MAX + len(piece)
    await asyncio.sleep(0.05)
    assert statuses(transport.written) == ([b"401"] if answered else [])  # one request, never two answers


@pytest.mark.parametrize("reads", [1, 2, 7])
async def test_a_head_at_the_bound_is_answered_and_one_byte_more_is_431(parser: str, reads: int) -> None:
    for size, answer in ((MAX, b"200"), (MAX + 1, b"431")):
        protocol, transport = open_connection(parser)
        head = padded_head(size)
        step = -(-len(head) // reads)
        for i in range(0, len(head), step):
            protocol.data_received(head[i : i + step])
        await asyncio.sleep(0.05)
        assert statuses(transport.written) == [answer], (size, transport.written[:200])


async def test_a_pipelined_head_over_the_bound_is_431(parser: str) -> None:
    """A second request in the same read as the first: the complete head is measured all the same."""
    protocol, transport = open_connection(parser)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + padded_head(4 * MAX))
    await asyncio.sleep(0.05)
    assert statuses(transport.written) == [b"200", b"431"]
    assert transport.closed


@given(
    method=st.sampled_from([b"GET", b"POST", b"DELETE"]),
    target=st.binary(min_size=1, max_size=40).map(lambda b: b"/" + b.hex().encode()),
    headers=st.lists(
        st.tuples(
            st.from_regex(rb"\A[A-Za-z][A-Za-z0-9-]{0,15}\Z"), st.from_regex(rb"\A([!-~]([ !-~]{0,30}[!-~])?)?\Z")
        ),
        max_size=8,
    ),
)
def test_head_size_is_the_bytes_of_a_head_without_optional_spaces(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    raw = method + b" " + target + b" HTTP/1.1\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers) + b"\r\n"
    assert head_size(method, target, headers) == len(raw)
    assert head_size(method.decode(), target, headers) == len(raw)


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", [b"\x16\x03\x01\x00\x05hello\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"])
async def test_a_request_the_parser_refuses_gets_a_400_problem(parser: str, sent: bytes) -> None:
    protocol, transport = open_connection(parser)
    protocol.data_received(sent)
    assert transport.closed
    assert statuses(transport.written) == [b"400"]
    assert b"application/problem+json" in transport.written
    assert problem(transport.written)["code"] == "malformed_request"


# --- a body left unread -------------------------------------------------------------------------------

REFUSED_HEAD = b"POST /v1/collections/kb/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
TRICKLES = {
    "content-length": (REFUSED_HEAD + b"Content-Length: 100000\r\n\r\n{", b" "),
    "chunked": (REFUSED_HEAD + b"Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n", b"1\r\n \r\n"),
    "expect-100-continue": (REFUSED_HEAD + b"Content-Length: 100\r\nExpect: 100-continue\r\n\r\n", b""),
}


@pytest.mark.parametrize("case", sorted(TRICKLES))
async def test_a_body_refused_before_it_is_read_is_held_to_the_body_deadline(parser: str, case: str) -> None:
    """Each trickled byte used to restart the keep-alive timer: the connection stayed for as long as the
    declared body (100000 s at a byte a second). Now the body deadline closes it, counted from the headers."""
    head, trickle = TRICKLES[case]
    protocol, transport = open_connection(parser, body_timeout_s=SHORT_S, timeout_keep_alive=LONG_S)
    protocol.data_received(head)
    await asyncio.sleep(0.02)
    assert statuses(transport.written) == [b"401"]
    for _ in range(int(WAIT_S / 0.02)):
        if trickle and not transport.closed:
            protocol.data_received(trickle)
        await asyncio.sleep(0.02)
    assert transport.closed
    assert statuses(transport.written) == [b"401"]


async def test_a_body_that_arrives_after_its_refusal_keeps_the_connection(parser: str) -> None:
    """Read and dropped: the next request on the connection is answered, and the idle connection then goes
    under the keep-alive timeout, as after any answer (it used to stay open with no timer at all)."""
    protocol, transport = open_connection(parser, body_timeout_s=LONG_S, timeout_keep_alive=SHORT_S)
    protocol.data_received(REFUSED_HEAD + b"Content-Length: 10\r\n\r\n{")
    await asyncio.sleep(0.02)
    protocol.data_received(b'"a": 1}  ')  # the rest of the body, after the 401
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await asyncio.sleep(0.02)
    assert statuses(transport.written) == [b"401", b"200"]
    assert not transport.closed
    protocol.data_received(REFUSED_HEAD + b"Content-Length: 10\r\n\r\n{")
    await asyncio.sleep(0.02)
    protocol.data_received(b'"a": 1}  ')  # drained, then nothing more
    await asyncio.sleep(WAIT_S)
    assert statuses(transport.written) == [b"401", b"200", b"401"]
    assert transport.closed


# --- Upgrade ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("upgrade", [b"h2c", b"websocket"])
async def test_an_upgrade_is_answered_as_plain_http_and_its_body_is_never_a_request(
    parser: str, upgrade: bytes
) -> None:
    """llhttp stops at the head of an Upgrade request: what follows, its declared body, was then read as the
    next request (answered 200 here), a request a proxy in front never saw."""
    protocol, transport = open_connection(parser)
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    protocol.data_received(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: " + upgrade + b"\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Content-Length: " + str(len(smuggled)).encode() + b"\r\n\r\n" + smuggled
    )
    await asyncio.sleep(0.05)
    protocol.data_received(b"GET /after HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await asyncio.sleep(0.05)
    answered = statuses(transport.written)
    assert answered[0] == b"401"
    assert answered.count(b"200") <= 1  # the request after it may be answered (h11), the smuggled one never
    assert b"101" not in answered
    if parser == "httptools":
        assert answered == [b"401"]
        assert transport.closed


# --- a response not read ----------------------------------------------------------------------------


async def test_a_response_the_client_does_not_read_is_dropped_after_the_send_timeout(parser: str) -> None:
    """The transport pauses the app's writes while its buffer is full; a client that reads nothing kept the
    connection and the request's task for ever. Dropped, not closed: closing waits for the buffer to empty."""
    protocol, transport = open_connection(parser, send_timeout_s=SHORT_S)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    protocol.pause_writing()
    await asyncio.sleep(WAIT_S)
    assert transport.aborted


async def test_a_client_that_reads_slowly_keeps_its_connection(parser: str) -> None:
    protocol, transport = open_connection(parser, send_timeout_s=SHORT_S)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    for _ in range(int(WAIT_S / (SHORT_S / 4))):  # full, then drained a little, many times over the timeout
        protocol.pause_writing()
        await asyncio.sleep(SHORT_S / 4)
        protocol.resume_writing()
    await asyncio.sleep(SHORT_S)
    assert not transport.closed
