"""What one unauthenticated client can hold of a real ``autbot serve``, under both HTTP parsers: a head without
end gets 431 and is closed (not held until the header timeout, set far away here), a body the server refused
before reading it is not held past the body deadline, forwarded headers count only from trusted proxies, and
with ``logging.json`` every line the process writes is JSON.

These tests assert what happens (a status, a closed connection, a count), never how fast: the deadlines given
to ``recv`` are generous upper bounds for a loaded machine, far below the timeouts that are not under test.
"""

from __future__ import annotations

import json
import select
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
FAR_S = 300
"""A timeout no test waits for: a connection closed here was closed by the bound under test."""


@pytest.fixture(params=["httptools", "h11"])
def parser(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def serve(tmp_path: Path, parser: str, env: dict[str, str] | None = None, **server: object) -> AutbotServer:
    """``autbot serve`` over fakes with ``server.*`` settings ``server`` and more variables ``env``."""
    values = {"http_parser": parser, "header_timeout_s": FAR_S, **server}
    variables = {**FAKES, **{f"AUTBOT_SERVER__{k.upper()}": str(v) for k, v in values.items()}, **(env or {})}
    srv = AutbotServer(tmp_path / "data", env=variables).start()
    assert f"HTTP parser {parser}" in srv.log.read_text(errors="replace")
    return srv


def read_until_closed(s: socket.socket, deadline_s: float = 60) -> bytes:
    s.settimeout(deadline_s)
    received = b""
    try:
        while chunk := s.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {deadline_s} s (received {received[:200]!r})")
    return received


def stream_until_answered(s: socket.socket, start: bytes, limit: int = 64 * 1024 * 1024) -> int:
    """Send ``start``, then ``a`` for as long as the server reads and does not answer; the bytes sent."""
    s.sendall(start)
    sent, piece = 0, b"a" * 16384
    try:
        while sent < limit and not select.select([s], [], [], 0)[0]:
            s.sendall(piece)
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


@pytest.mark.parametrize("start", [b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: ", b"GET /"], ids=["header", "url"])
def test_a_head_without_end_gets_431_and_others_are_answered(tmp_path: Path, parser: str, start: bytes) -> None:
    srv = serve(tmp_path, parser)
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            streams = [socket.create_connection(("127.0.0.1", srv.port), timeout=30) for _ in range(4)]
            for s in streams:
                stream_until_answered(s, start)
                assert client.get("/health").status_code == 200  # meanwhile, everyone else is answered
            for s in streams:
                received = read_until_closed(s)  # long before header_timeout_s
                assert received.startswith(b"HTTP/1.1 431"), received[:200]
                assert b'"code":"request_head_too_large"' in received
                s.close()
            assert client.get("/health").status_code == 200
    finally:
        srv.stop()


REFUSED = (
    b"POST /v1/collections/kb/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n{"
)
REFUSED_CHUNKED = (
    b"POST /v1/collections/kb/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n"
)
REFUSED_EXPECTING = (
    b"POST /v1/collections/kb/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n"
)


def test_a_refused_body_trickled_is_not_held_past_the_body_deadline(tmp_path: Path, parser: str) -> None:
    """401 before the body is read (no key); the client goes on trickling its declared body, a byte at a time.
    Each byte used to restart the keep-alive timer: ten such clients held every connection of the worker."""
    srv = serve(tmp_path, parser, {"AUTBOT_AUTH__REQUIRED": "true"}, body_timeout_s=3, max_connections=8)
    try:
        clients = []
        for head in (REFUSED, REFUSED, REFUSED, REFUSED_CHUNKED, REFUSED_CHUNKED, REFUSED_EXPECTING):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            s.sendall(head)
            clients.append((s, head))
        answers = {s: b"" for s, _ in clients}
        closed: set[socket.socket] = set()
        stop_at = time.monotonic() + 60
        while len(closed) < len(clients) and time.monotonic() < stop_at:
            for s, head in clients:
                if s in closed:
                    continue
                try:
                    if select.select([s], [], [], 0)[0]:
                        chunk = s.recv(65536)
                        answers[s] += chunk
                        if not chunk:
                            closed.add(s)
                            continue
                    if head is not REFUSED_EXPECTING:
                        s.sendall(b"1\r\n \r\n" if head is REFUSED_CHUNKED else b" ")
                except (BrokenPipeError, ConnectionResetError):
                    closed.add(s)
            time.sleep(0.5)
        assert len(closed) == len(clients), "a refused client still held its connection after 60 s"
        for s, _ in clients:
            assert answers[s].startswith(b"HTTP/1.1 401"), answers[s][:200]
            s.close()
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            assert client.get("/health").status_code == 200
    finally:
        srv.stop()


def statuses_with_forged_addresses(srv: AutbotServer) -> list[int]:
    """Four requests with a wrong key, each claiming another client address in ``X-Forwarded-For``."""
    with httpx.Client(base_url=srv.url, timeout=30) as client:
        return [
            client.get(
                "/v1/collections", headers={"Authorization": "Bearer wrong", "X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
            for i in range(4)
        ]


@pytest.mark.parametrize("trusted", [None, "127.0.0.1"])
def test_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path: Path, trusted: str | None) -> None:
    """``limits.auth_failures`` (2 a minute here) counts per client address: forged addresses reset it unless
    the server ignores them (the default), and count apart when they come from a trusted proxy."""
    env = {
        "AUTBOT_AUTH__REQUIRED": "true",
        "AUTBOT_LIMITS__ENABLED": "true",
        "AUTBOT_LIMITS__AUTH_FAILURES": "2/minute",
    }
    extra = {"trusted_proxies": f'["{trusted}"]'} if trusted else {}
    srv = serve(tmp_path, "httptools", env, **extra)
    try:
        answered = statuses_with_forged_addresses(srv)
    finally:
        srv.stop()
    assert answered == ([401] * 4 if trusted else [401, 401, 429, 429])


def test_with_logging_json_every_line_is_json(tmp_path: Path) -> None:
    """uvicorn's own lines ("Invalid HTTP request received.") came out as plain text among the JSON ones."""
    srv = serve(tmp_path, "h11", {"AUTBOT_LOGGING__JSON": "true"})
    try:
        for garbage in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", b"GET / HTTP/1.1\r\nBad\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
                s.sendall(garbage)
                assert read_until_closed(s).startswith(b"HTTP/1.1 400")
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            assert client.get("/health").status_code == 200
    finally:
        srv.stop()
    lines = [line for line in srv.log.read_text(errors="replace").splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line that is not JSON: {line!r}")
    assert sum(r["logger"] == "uvicorn.error" for r in records) >= 2, records
