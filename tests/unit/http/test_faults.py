"""Upstream faults end to end, in-process: an OpenAI-compatible endpoint (a real tiny HTTP server on loopback) that
stalls, answers 5xx, answers garbage or drops mid-stream, and a vector store where nothing listens. Each gives
the documented status and code, a log line, and the metrics (upstream errors, breaker state)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from loguru import logger

from autbot.adapters.llm.openai import OpenAILanguageModel
from autbot.adapters.quotas.redis_link import RedisDown, RedisLink
from autbot.domain.resilience import BreakerState
from autbot.entrypoints.settings import Settings
from tests.support.app_client import AppClient, app_client, fake_settings
from tests.support.processes import free_port, parse_sse


def faulty_settings(**sections: Any) -> Settings:
    """Fakes, with a short model timeout, metrics on and a circuit that opens after two failures."""
    return fake_settings(
        llm={"timeout_s": 0.5}, metrics={"enabled": True}, resilience={"breaker_failures": 2}, **sections
    )


DOC = {"documents": [{"id": "eiffel", "title": "Eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}
ASK = {"question": "How tall is the Eiffel Tower?"}
CHUNK = b'data: {"id":"x","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,"delta":{"content":"hel"},"finish_reason":null}]}\n\n'  # noqa: E501


@pytest.fixture
def upstream() -> Iterator[tuple[str, dict[str, str]]]:
    """An OpenAI-compatible endpoint whose behaviour the test sets: stall, 5xx, garbage, drop."""
    mode = {"now": "5xx"}
    released = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            if mode["now"] == "stall":
                released.wait(30)
                return
            if mode["now"] == "5xx":
                self.send_response(500)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                return
            self.send_response(200)
            if mode["now"] == "garbage":
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "9")
                self.end_headers()
                self.wfile.write(b"<html>oh!")
                return
            self.send_header("content-type", "text/event-stream")  # "drop": tokens, then the connection dies
            self.end_headers()
            self.wfile.write(CHUNK)
            self.wfile.flush()
            self.connection.shutdown(2)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", mode
    released.set()
    httpd.shutdown()
    httpd.server_close()


@contextlib.contextmanager
def warnings_logged() -> Iterator[list[str]]:
    """WARNING and above, from now on (``create_app`` replaces loguru's sinks: call this after it)."""
    seen: list[str] = []
    sink = logger.add(lambda m: seen.append(str(m)), level="WARNING")
    try:
        yield seen
    finally:
        with contextlib.suppress(ValueError):
            logger.remove(sink)


def upstream_llm(url: str) -> OpenAILanguageModel:
    return OpenAILanguageModel(base_url=url, model="m", api_key="sk-test", backoff_s=0.01, max_retries=0)


def metric(client: AppClient, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + "{"):
            got = ",".join(sorted(line[len(name) + 1 : line.index("}")].split(",")))
            if got == want:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [("stall", 503, "llm_timeout"), ("5xx", 503, "llm_unavailable"), ("garbage", 503, "llm_unavailable")],
)
def test_an_llm_fault_is_a_documented_problem_a_log_line_and_metrics(
    upstream: tuple[str, dict[str, str]], fault: str, status: int, code: str
) -> None:
    url, mode = upstream
    mode["now"] = fault
    with app_client(faulty_settings(), overrides={"llm": upstream_llm(url)}) as client, warnings_logged() as logs:
        assert client.post("/v1/collections/kb/documents", json=DOC).status_code == 201
        r = client.post("/v1/collections/kb/query", json=ASK)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
        assert metric(client, "autbot_upstream_errors_total", dependency="llm", kind=code) == 1
        client.post("/v1/collections/kb/query", json=ASK)  # the second failure in a row opens the circuit
        assert metric(client, "autbot_circuit_breaker_state", dependency="llm") == BreakerState.OPEN
        refused = client.post("/v1/collections/kb/query", json=ASK)
        assert (refused.status_code, refused.json()["code"]) == (503, "llm_unavailable")
        assert "Retry-After" in refused.headers
        assert metric(client, "autbot_upstream_errors_total", dependency="llm", kind="circuit_open") == 1
    assert any(f"503 {code}" in line for line in logs)


def test_an_llm_that_drops_mid_stream_ends_the_stream_with_an_error_event(upstream: tuple[str, dict[str, str]]) -> None:
    url, mode = upstream
    mode["now"] = "drop"
    with app_client(faulty_settings(), overrides={"llm": upstream_llm(url)}) as client:
        assert client.post("/v1/collections/kb/documents", json=DOC).status_code == 201
        r = client.post("/v1/collections/kb/query", json={**ASK, "stream": True})
        events = list(parse_sse(iter(r.text.splitlines())))
        assert [k for k, _ in events] == ["citations", "token", "error"]
        assert json.loads(events[-1][1])["code"] == "llm_unavailable"
        assert metric(client, "autbot_upstream_errors_total", dependency="llm", kind="llm_unavailable") == 1


def test_a_vector_store_where_nothing_listens_is_not_ready() -> None:
    port = free_port(span=2)
    weaviate = {"http_port": port, "grpc_port": port + 1, "init_timeout_s": 1}
    nowhere = faulty_settings(index={"backend": "weaviate", "weaviate": weaviate})
    with app_client(nowhere) as client:  # starts: the store may come up later
        assert client.get("/ready").status_code == 503
        r = client.post("/v1/collections/kb/search", json={"query": "x"})
        assert (r.status_code, r.json()["code"]) == (503, "index_unavailable")


async def test_redis_down_opens_the_shared_breaker_and_reports_it() -> None:
    states: list[BreakerState] = []
    errors: list[str] = []
    link = RedisLink.connect(
        f"redis://127.0.0.1:{free_port()}/0",
        password=None,
        timeout_s=0.25,
        max_connections=2,
        recheck_s=60.0,
        on_change=lambda _, s: states.append(s),
        on_error=errors.append,
    )
    with warnings_logged() as logs:
        for _ in range(3):
            with pytest.raises(RedisDown):
                await link.call(link.client.ping, what="a ping")
    assert (states, len(errors)) == ([BreakerState.OPEN], 1)  # one failure reached Redis; the rest were refused
    assert len([line for line in logs if "Redis at" in line]) == 1
    await link.aclose()
