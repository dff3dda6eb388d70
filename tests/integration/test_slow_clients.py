"""Slow and stalled clients against a real ``autbot serve``: they cannot hold connections or block shutdown.

Every test runs under both HTTP parsers (``server.http_parser``: httptools and h11, each with the header
timeout); the server's start-up line names the parser it runs, and each test checks it.

These tests assert what happens (a connection is closed, a 408 comes back, the process exits), never how
fast: the deadlines given to ``recv`` and ``wait`` are generous upper bounds for a loaded machine.
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import AutbotServer

pytestmark = pytest.mark.slow

FAKES = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_AUTH__KEYS_BACKEND": "memory",
    "AUTBOT_LIMITS__ENABLED": "false",
}
STALLED = 50
HALF_REQUESTS = [
    b"GET /hea",  # half a request line
    b"GET /health HTTP/1.1\r\n",  # a request line, no headers
    b"POST /v1/collections/kb/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl",  # half a header
]
BODY_STALL = (
    b"POST /v1/collections/kb/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100\r\n\r\n{"documents": ['
)


PARSERS = ["httptools", "h11"]


@pytest.fixture(params=PARSERS)
def parser(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def server(tmp_path: Path, parser: str, **settings: float) -> AutbotServer:
    env = {**FAKES, **{f"AUTBOT_SERVER__{k.upper()}": str(v) for k, v in {**settings, "http_parser": parser}.items()}}
    return AutbotServer(tmp_path / "data", env=env)


def start(srv: AutbotServer, parser: str) -> AutbotServer:
    srv.start()
    assert f"HTTP parser {parser}" in srv.log.read_text(errors="replace")  # the parser asked for is the one running
    return srv


def stall(port: int, data: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    return s


def read_until_closed(s: socket.socket, deadline_s: float) -> bytes:
    """Everything the server sends until it closes the connection; fails if it is still open at the deadline."""
    s.settimeout(deadline_s)
    received = b""
    try:
        while chunk := s.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {deadline_s} s (received {received[:200]!r})")
    return received


def test_stalled_headers_are_cut_while_health_answers(tmp_path: Path, parser: str) -> None:
    srv = start(server(tmp_path, parser, header_timeout_s=3, body_timeout_s=3), parser)
    sockets: list[socket.socket] = []
    try:
        sockets = [stall(srv.port, HALF_REQUESTS[i % len(HALF_REQUESTS)]) for i in range(STALLED)]
        sockets.append(socket.create_connection(("127.0.0.1", srv.port), timeout=10))  # connects, sends nothing
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            assert client.get("/health").status_code == 200  # the stalled ones hold nothing up
            assert client.post("/v1/collections/kb/search", json={"query": "x"}).status_code == 404
        for s in sockets:
            assert read_until_closed(s, 60) == b""  # closed, without an answer
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            assert client.get("/health").status_code == 200
    finally:
        for s in sockets:
            s.close()
        srv.stop()


def test_a_stalled_body_gets_408_and_the_connection_is_closed(tmp_path: Path, parser: str) -> None:
    srv = start(server(tmp_path, parser, header_timeout_s=3, body_timeout_s=3), parser)
    try:
        s = stall(srv.port, BODY_STALL)
        received = read_until_closed(s, 60)
        s.close()
        if received:  # an answer, then the close; a bare close would be acceptable too
            head, _, body = received.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), received[:300]
            assert b"application/problem+json" in head
            assert b'"code":"request_timeout"' in body
        with httpx.Client(base_url=srv.url, timeout=30) as client:  # nothing was written, the server is fine
            assert client.get("/v1/collections").json()["collections"] == []
    finally:
        srv.stop()


def read_response(s: socket.socket) -> bytes:
    """One whole response (head and ``Content-Length`` body) from a kept-alive connection."""
    s.settimeout(60)
    received = b""
    while b"\r\n\r\n" not in received:
        received += s.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = 0
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body


def test_the_header_timer_restarts_on_a_kept_alive_connection_and_stops_at_the_body(
    tmp_path: Path, parser: str
) -> None:
    """A kept-alive connection that stalls its next request is cut; a stalled body outlives the header timer
    (its own, longer deadline answers 408, where a header timer left running would close it bare)."""
    srv = start(server(tmp_path, parser, header_timeout_s=2, body_timeout_s=6), parser)
    try:
        kept = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        kept.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        body = stall(srv.port, BODY_STALL)
        assert read_response(kept).startswith(b"HTTP/1.1 200")
        kept.sendall(b"GET /hea")  # the next request starts at once (before uvicorn's keep-alive timeout) and stalls
        assert read_until_closed(kept, 60) == b""
        received = read_until_closed(body, 60)
        assert received.startswith(b"HTTP/1.1 408"), received[:300]
        assert b'"code":"request_timeout"' in received
        kept.close()
        body.close()
    finally:
        srv.stop()


def test_sigterm_with_stalled_clients_exits_after_the_grace_period(tmp_path: Path, parser: str) -> None:
    grace = 3
    # Long read timeouts: the stalled clients are all still there when SIGTERM arrives.
    srv = start(server(tmp_path, parser, header_timeout_s=300, body_timeout_s=300, shutdown_grace_s=grace), parser)
    sockets = [stall(srv.port, HALF_REQUESTS[i % len(HALF_REQUESTS)]) for i in range(20)]
    sockets += [stall(srv.port, BODY_STALL) for _ in range(5)]  # requests in flight, waiting for their body
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            assert client.get("/health").status_code == 200
        assert srv.proc is not None
        started = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        code = srv.proc.wait(grace + 60)  # raises TimeoutExpired if it hangs: the bug this test guards against
        elapsed = time.monotonic() - started
        print(f"exit {code} {elapsed:.2f} s after SIGTERM with {len(sockets)} stalled clients (grace {grace} s)")
        (tmp_path / "shutdown_seconds.txt").write_text(f"{elapsed:.3f}\n")
    finally:
        for s in sockets:
            s.close()
        srv.stop(signal.SIGKILL)


def test_the_timeouts_hold_with_several_workers(tmp_path: Path, parser: str) -> None:
    """``--workers`` goes through uvicorn's supervisor: the protocol and its timeout travel to each worker."""
    srv = start(server(tmp_path, parser, workers=2, header_timeout_s=3, shutdown_grace_s=3), parser)
    try:
        sockets = [stall(srv.port, HALF_REQUESTS[i % len(HALF_REQUESTS)]) for i in range(6)]
        for s in sockets:
            assert read_until_closed(s, 60) == b""
            s.close()
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            assert client.get("/health").status_code == 200
            assert client.get("/v1/collections", headers={"Host": "evil.example"}).status_code == 400
        assert srv.proc is not None
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(60)
    finally:
        srv.stop(signal.SIGKILL)
