"""Draining (SIGTERM) in-process: every answer stream ends at once with ``shutting_down``, not at its next event.

The model waits 30 s before each token; draining starts a moment after the request. Had the stream waited for
its next event, a token would come before the error: the assertions are about which events arrive, not when.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.entrypoints.http.app import create_app
from autbot.entrypoints.http.draining import Draining
from autbot.entrypoints.settings import load_settings
from tests.support.http import LOOPBACK_BASE_URL
from tests.support.processes import parse_sse

FAKES: dict[str, Any] = {
    "embedder": {"backend": "hashing"},
    "index": {"backend": "memory"},
    "llm": {"backend": "fake", "min_vector_score": 0.0},
    "auth": {"keys_backend": "memory"},
    "sessions": {"backend": "memory"},
}
DOC = {"documents": [{"id": "eiffel", "title": "Eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}
QUESTION = "How tall is the Eiffel Tower?"


@pytest.fixture
def client() -> Iterator[TestClient]:  # type: ignore[type-arg]
    s = load_settings("local", env={}, overrides=FAKES)
    app = create_app(s, overrides={"llm": ScriptedLanguageModel(token_delay_s=30.0)})
    with TestClient(app, base_url=LOOPBACK_BASE_URL) as c:
        assert c.post("/v1/collections/kb/documents", json=DOC).status_code == 201
        yield c


def drain_soon(client: TestClient) -> threading.Timer:  # type: ignore[type-arg]
    draining: Draining = client.app.dependencies["draining"].dependency()
    timer = threading.Timer(0.3, draining.begin)  # from another thread, as a signal handler would be
    timer.start()
    return timer


def test_a_query_stream_ends_with_shutting_down(client: TestClient) -> None:  # type: ignore[type-arg]
    timer = drain_soon(client)
    r = client.post("/v1/collections/kb/query", json={"question": QUESTION, "stream": True})
    timer.join()
    events = list(parse_sse(iter(r.text.splitlines())))
    assert [kind for kind, _ in events] == ["citations", "error"]
    assert json.loads(events[-1][1])["code"] == "shutting_down"
    assert client.get("/ready").status_code == 503


def test_a_session_stream_ends_with_shutting_down(client: TestClient) -> None:  # type: ignore[type-arg]
    sid = client.post("/v1/sessions", json={"collection": "kb"}).json()["id"]
    timer = drain_soon(client)
    r = client.post(f"/v1/sessions/{sid}/messages", json={"question": QUESTION, "stream": True})
    timer.join()
    events = list(parse_sse(iter(r.text.splitlines())))
    assert [kind for kind, _ in events] == ["citations", "error"]
    assert json.loads(events[-1][1])["code"] == "shutting_down"


def test_a_chat_stream_ends_with_openais_error_then_done(client: TestClient) -> None:  # type: ignore[type-arg]
    timer = drain_soon(client)
    body = {"model": "rag:kb", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    r = client.post("/v1/chat/completions", json=body)
    timer.join()
    data = [d for _, d in parse_sse(iter(r.text.splitlines()))]
    assert data[-1] == "[DONE]"
    error = json.loads(data[-2])["error"]
    assert (error["code"], error["type"]) == ("shutting_down", "service_unavailable_error")
    assert [json.loads(d)["choices"][0]["delta"].get("content") for d in data[:-2]] == [""]  # the role; no token


def test_an_error_in_the_events_reaches_the_stream() -> None:
    async def failing() -> Any:
        yield 1
        raise ValueError("boom")

    async def collect() -> list[Any]:
        got: list[Any] = []
        with pytest.raises(ValueError, match="boom"):
            async for event in Draining().until_drained(failing()):
                got.append(event)
        return got

    assert asyncio.run(collect()) == [1]
