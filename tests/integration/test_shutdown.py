"""SIGTERM against a real ``autbot serve``: a live answer stream and a stalled upload.

The stream's client sees a last ``error`` event (code ``shutting_down``) and the process exits; the exit time
is printed and written to ``shutdown_seconds.txt`` (measured, not asserted beyond a generous bound). Under both
HTTP parsers (``server.http_parser``).
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import AutbotServer, parse_sse

pytestmark = pytest.mark.slow

GRACE_S = 4
ENV = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_LLM__MIN_VECTOR_SCORE": "0",
    "AUTBOT_LLM__FAKE_TOKEN_DELAY_S": "1",  # a slow model: the stream is live when SIGTERM comes
    "AUTBOT_AUTH__KEYS_BACKEND": "memory",
    "AUTBOT_LIMITS__ENABLED": "false",
    "AUTBOT_SERVER__SHUTDOWN_GRACE_S": str(GRACE_S),
    "AUTBOT_SERVER__HEADER_TIMEOUT_S": "300",
    "AUTBOT_SERVER__BODY_TIMEOUT_S": "300",  # the stalled upload is still in flight at SIGTERM
}
STALLED_UPLOAD = (
    b"POST /v1/collections/kb/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100000\r\n\r\n{"documents": ['
)
DOC = {"documents": [{"id": "eiffel", "title": "Eiffel", "text": "The Eiffel Tower is 330 metres tall. " * 20}]}


class StreamReader(threading.Thread):
    """Reads one answer stream to its end, as an SSE client would."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.events: list[tuple[str, str]] = []
        self.live = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        body = {"question": "How tall is the Eiffel Tower?", "stream": True}
        try:
            with (
                httpx.Client(timeout=120) as client,
                client.stream("POST", f"{self.url}/v1/collections/kb/query", json=body) as r,
            ):
                for event in parse_sse(r.iter_lines()):
                    self.events.append(event)
                    self.live.set()
        except httpx.HTTPError as e:
            self.error = e
        finally:
            self.live.set()


@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_sigterm_ends_a_live_stream_and_a_stalled_upload_within_the_grace(tmp_path: Path, parser: str) -> None:
    srv = AutbotServer(tmp_path / "data", env={**ENV, "AUTBOT_SERVER__HTTP_PARSER": parser}).start()
    assert f"HTTP parser {parser}" in srv.log.read_text(errors="replace")  # the parser asked for is the one running
    upload: socket.socket | None = None
    try:
        with srv.client(timeout=30) as client:
            assert client.post("/v1/collections/kb/documents", json=DOC).status_code == 201
        reader = StreamReader(srv.url)
        reader.start()
        assert reader.live.wait(60), "the stream never started"
        upload = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        upload.sendall(STALLED_UPLOAD)
        time.sleep(0.5)  # the upload's request is in flight (an outcome, not a timing, is asserted below)
        assert srv.proc is not None
        started = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        code = srv.proc.wait(GRACE_S + 30)  # generous: fails only if shutdown hangs past the grace period
        elapsed = time.monotonic() - started
        reader.join(30)
        kinds = [kind for kind, _ in reader.events]
        print(f"exit {code} {elapsed:.2f} s after SIGTERM (grace {GRACE_S} s), stream events {kinds}")
        (tmp_path / "shutdown_seconds.txt").write_text(f"{elapsed:.3f}\n")
        assert kinds[0] == "citations"
        assert "done" not in kinds  # the answer was cut, not finished
        assert kinds[-1] == "error", reader.events
        assert json.loads(reader.events[-1][1])["code"] == "shutting_down"
        log = srv.log.read_text(errors="replace")
        assert "Shutting down" in log
        # the stalled upload is cancelled by uvicorn when the grace period ends: its access line says 499
        assert "POST /v1/collections/{collection}/documents 499" in log
    finally:
        if upload is not None:
            upload.close()
        srv.stop(signal.SIGKILL)
