"""Slow and stalled clients against a real ``autbot serve``: they cannot hold connections or block shutdown.

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


def server(tmp_path: Path, **settings: float) -> AutbotServer:
    env = {**FAKES, **{f"AUTBOT_SERVER__{k.upper()}": str(v) for k, v in settings.items()}}
    return AutbotServer(tmp_path / "data", env=env)


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


def test_stalled_headers_are_cut_while_health_answers(tmp_path: Path) -> None:
    srv = server(tmp_path, header_timeout_s=3, body_timeout_s=3).start()
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


def test_a_stalled_body_gets_408_and_the_connection_is_closed(tmp_path: Path) -> None:
    srv = server(tmp_path, header_timeout_s=3, body_timeout_s=3).start()
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


def test_sigterm_with_stalled_clients_exits_after_the_grace_period(tmp_path: Path) -> None:
    grace = 3
    # Long read timeouts: the stalled clients are all still there when SIGTERM arrives.
    srv = server(tmp_path, header_timeout_s=300, body_timeout_s=300, shutdown_grace_s=grace).start()
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


def test_the_timeouts_hold_with_several_workers(tmp_path: Path) -> None:
    """``--workers`` goes through uvicorn's supervisor: the protocol and its timeout travel to each worker."""
    srv = server(tmp_path, workers=2, header_timeout_s=3, shutdown_grace_s=3).start()
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
