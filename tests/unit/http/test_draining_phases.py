"""Draining's phases: at the first signal ``/ready`` 503 and ``Connection: close`` while streams go on; the
signal reaches uvicorn after ``server.shutdown_delay_s``; the streams still open are ended near the end of the
grace period. Outcomes and order are asserted, never durations."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.entrypoints.http.streaming.draining import STREAM_END_MARGIN_S, Draining
from tests.support.app_client import AppClient, app_client, fake_settings
from tests.support.processes import parse_sse
from tests.unit.http.test_draining import DOC, QUESTION


@pytest.fixture
def client() -> Iterator[AppClient]:
    s = fake_settings(server={"shutdown_delay_s": 5.0})
    with app_client(s, overrides={"llm": ScriptedLanguageModel(token_delay_s=0.01)}) as c:
        assert c.post("/v1/collections/kb/documents", json=DOC).status_code == 201
        yield c


def test_while_draining_streams_finish_ready_says_503_and_connections_close(
    client: AppClient,
) -> None:
    assert client.get("/ready").status_code == 200
    assert "close" not in client.get("/health").headers.get("connection", "")
    draining: Draining = client.app.dependencies["draining"].dependency()
    assert (draining.delay_s, draining.grace_s) == (5.0, 20.0)  # from the settings
    draining.begin()
    ready = client.get("/ready")
    assert (ready.status_code, ready.json()["status"], ready.headers["connection"]) == (503, "shutting_down", "close")
    r = client.post("/v1/collections/kb/query", json={"question": QUESTION, "stream": True})
    kinds = [kind for kind, _ in parse_sse(iter(r.text.splitlines()))]
    assert (kinds[0], kinds[-1], "error" in kinds) == ("citations", "done", False)  # a whole answer
    assert r.headers["connection"] == "close"
    search = client.post("/v1/collections/kb/search", json={"query": "Eiffel"})
    assert (search.status_code, search.headers["connection"]) == (200, "close")


def test_the_streams_end_after_the_delay_and_most_of_the_grace() -> None:
    assert Draining(delay_s=5, grace_s=20).streams_end_after_s == 5 + 20 - STREAM_END_MARGIN_S
    assert Draining(delay_s=0, grace_s=1).streams_end_after_s == 0.5  # never more than half the grace
    assert Draining().streams_end_after_s == 0


def test_a_signal_starts_draining_at_once_and_reaches_the_server_after_the_delay() -> None:
    seen: list[tuple[int, bool]] = []
    drain = Draining(delay_s=0.2, grace_s=0.4)

    def server_handler(sig: int, frame: FrameType | None) -> None:  # uvicorn's, in production
        seen.append((sig, drain.streams_ended))

    async def slow() -> Any:
        yield "first"
        await asyncio.sleep(30)
        yield "never"

    async def scenario() -> list[Any]:
        await drain.install()
        try:
            signal.raise_signal(signal.SIGTERM)
            assert (drain.started, seen) == (True, [])  # draining at once; the server learns later
            events = [event async for event in drain.until_drained(slow())]
            await asyncio.sleep(0)
            return events
        finally:
            drain.uninstall()

    original = signal.signal(signal.SIGTERM, server_handler)
    try:
        events = asyncio.run(scenario())
    finally:
        signal.signal(signal.SIGTERM, original)
    assert events == ["first", None]  # the open stream went on, then was ended with its last event
    assert seen == [(signal.SIGTERM, False)]  # the server had the signal before the streams were ended
    assert drain.streams_ended


def test_a_second_signal_skips_the_delay() -> None:
    seen: list[int] = []
    drain = Draining(delay_s=30, grace_s=30)

    async def scenario() -> None:
        await drain.install()
        try:
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)
            await asyncio.sleep(0)
        finally:
            drain.uninstall()

    original_term = signal.signal(signal.SIGTERM, lambda sig, frame: seen.append(sig))
    original_int = signal.signal(signal.SIGINT, lambda sig, frame: seen.append(sig))
    try:
        asyncio.run(scenario())
    finally:
        signal.signal(signal.SIGTERM, original_term)
        signal.signal(signal.SIGINT, original_int)
    assert seen == [signal.SIGINT]  # at once, as uvicorn's forced exit wants it; the delayed one was cancelled
