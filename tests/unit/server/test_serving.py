"""The header timeout of both HTTP protocols (``serving``), driven in-process with a transport double.

Each protocol runs on a real event loop with a 0.05 s header timeout; the tests wait well past it and assert
what happened to the connection (closed or not), never how fast. The same behaviour against a real
``autbot serve`` is in tests/integration/test_slow_clients.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from autbot.entrypoints.server import protocols
from autbot.entrypoints.server import runtime as serving
from autbot.entrypoints.server.bounds import ConnectionBounds
from autbot.entrypoints.server.httptools_protocol import BoundedHttpToolsProtocol
from autbot.entrypoints.settings import ServerSettings
from tests.support import transport
from tests.support.transport import Transport

TIMEOUT_S = 0.05
WAIT_S = 0.5  # ten times the timeout: long enough for the timer on a loaded machine
PROTOCOLS = {"httptools": BoundedHttpToolsProtocol, "h11": protocols.BoundedH11Protocol}
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while (await receive())["more_body"] if scope["method"] == "POST" else False:
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def connect(parser: str) -> tuple[asyncio.Protocol, Transport]:
    return transport.connect(PROTOCOLS[parser], app, header_timeout_s=TIMEOUT_S)


@pytest.fixture(params=sorted(PROTOCOLS))
def parser(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("sent", [b"", b"GET /hea", b"GET / HTTP/1.1\r\n", b"GET / HTTP/1.1\r\nHost: 127.0"])
async def test_late_headers_close_the_connection_without_an_answer(parser: str, sent: bytes) -> None:
    protocol, transport = connect(parser)
    if sent:
        protocol.data_received(sent)
    await asyncio.sleep(WAIT_S)
    assert transport.closed
    assert transport.written == b""


async def test_complete_headers_stop_the_timer_while_the_body_is_awaited(parser: str) -> None:
    protocol, transport = connect(parser)
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n\r\nab")
    await asyncio.sleep(WAIT_S)
    assert not transport.closed  # the body has its own deadline (RequestGuard), not this one
    protocol.data_received(b"cd")
    await asyncio.sleep(0.05)
    assert transport.written.startswith(b"HTTP/1.1 200")


async def test_a_kept_alive_connection_is_timed_from_the_next_requests_first_byte(parser: str) -> None:
    protocol, transport = connect(parser)
    protocol.data_received(REQUEST)
    await asyncio.sleep(WAIT_S)  # the first request answered; idle (keep-alive, 5 s) past the header timeout
    assert transport.written.startswith(b"HTTP/1.1 200")
    assert not transport.closed
    answered = len(transport.written)
    protocol.data_received(b"GET / HT")  # the next request starts and stalls
    await asyncio.sleep(WAIT_S)
    assert transport.closed
    assert len(transport.written) == answered  # closed without a second answer


async def test_a_closed_connection_leaves_no_timer(parser: str) -> None:
    protocol, transport = connect(parser)
    protocol.data_received(b"GET /hea")
    protocol.connection_lost(None)
    assert isinstance(protocol, ConnectionBounds)
    assert protocol._header_timer is None
    await asyncio.sleep(WAIT_S)
    assert transport.written == b""


def test_the_setting_chooses_the_protocol() -> None:
    assert serving.http_protocol("h11") is protocols.BoundedH11Protocol
    assert serving.http_protocol("httptools") is BoundedHttpToolsProtocol
    assert serving.resolved_parser("auto") == "httptools"  # installed with uvicorn[standard]
    config = serving.server_config(app, ServerSettings(http_parser="h11", header_timeout_s=7))
    assert (config.http, config.header_timeout_s) == (protocols.BoundedH11Protocol, 7)
    assert serving.server_config(app, ServerSettings()).http is BoundedHttpToolsProtocol
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"http_parser": "wsgi"}, ServerSettings)
