"""Ending the answer streams (near the end of the SIGTERM grace) in-process: every stream still open ends at
once with ``shutting_down``, not at its next event.

The model waits 30 s before each token; the streams are ended a moment after the request. Had the stream waited
for its next event, a token would come before the error: the assertions are about which events arrive, not when.
What happens before (``/ready`` 503, ``Connection: close``, streams going on) is in test_draining_phases.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.entrypoints.http.streaming.draining import Draining
from tests.support.app_client import AppClient, app_client
from tests.support.processes import parse_sse

DOC = {"documents": [{"id": "eiffel", "title": "Eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}
QUESTION = "How tall is the Eiffel Tower?"


@pytest.fixture
def client() -> Iterator[AppClient]:
    with app_client(overrides={"llm": ScriptedLanguageModel(token_delay_s=30.0)}) as c:
        assert c.post("/v1/collections/kb/documents", json=DOC).status_code == 201
        yield c


def drain_soon(client: AppClient) -> threading.Timer:
    draining: Draining = client.app.dependencies["draining"].dependency()
    draining.begin()
    timer = threading.Timer(0.3, draining.end_streams)  # from another thread, as the grace timer would be
    timer.start()
    return timer


def _cancelling() -> int:
    """How many cancels of the running task are pending."""
    task = asyncio.current_task()
    assert task is not None
    return task.cancelling()


def test_a_query_stream_ends_with_shutting_down(client: AppClient) -> None:
    timer = drain_soon(client)
    r = client.post("/v1/collections/kb/query", json={"question": QUESTION, "stream": True})
    timer.join()
    events = list(parse_sse(iter(r.text.splitlines())))
    assert [kind for kind, _ in events] == ["citations", "error"]
    assert json.loads(events[-1][1])["code"] == "shutting_down"
    assert client.get("/ready").status_code == 503


def test_a_session_stream_ends_with_shutting_down(client: AppClient) -> None:
    sid = client.post("/v1/sessions", json={"collection": "kb"}).json()["id"]
    timer = drain_soon(client)
    r = client.post(f"/v1/sessions/{sid}/messages", json={"question": QUESTION, "stream": True})
    timer.join()
    events = list(parse_sse(iter(r.text.splitlines())))
    assert [kind for kind, _ in events] == ["citations", "error"]
    assert json.loads(events[-1][1])["code"] == "shutting_down"


def test_a_chat_stream_ends_with_openais_error_then_done(client: AppClient) -> None:
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


def test_draining_while_an_event_is_being_sent_ends_before_the_next_wait() -> None:
    closed = []

    async def slow() -> Any:
        try:
            yield 1
            await asyncio.sleep(30)
            yield 2
        finally:
            closed.append(True)

    async def collect() -> tuple[list[Any], int]:
        drain = Draining()
        got: list[Any] = []
        async for event in drain.until_drained(slow()):
            got.append(event)
            if event == 1:
                drain.end_streams()  # while the response holds event 1 (sending it), not waiting
        return got, _cancelling()

    assert asyncio.run(collect()) == ([1, None], 0)
    assert closed == [True]


def test_events_that_swallow_the_cancel_still_end_and_leave_the_task_uncancelled() -> None:
    async def stubborn() -> Any:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            pass  # a badly behaved generation: it goes on
        yield "late"
        yield "later"

    async def collect() -> tuple[list[Any], int]:
        drain = Draining()
        asyncio.get_running_loop().call_later(0.05, drain.end_streams)
        got = [event async for event in drain.until_drained(stubborn())]
        return got, _cancelling()

    assert asyncio.run(collect()) == (["late", None], 0)


def test_a_cancel_that_is_not_draining_goes_through() -> None:
    async def forever() -> Any:
        await asyncio.sleep(30)
        yield 1

    async def consume(drain: Draining) -> None:
        async for _ in drain.until_drained(forever()):
            pass

    async def main() -> bool:
        drain = Draining()
        task = asyncio.create_task(consume(drain))
        await asyncio.sleep(0.05)
        task.cancel()  # the client went away, say
        with pytest.raises(asyncio.CancelledError):
            await task
        return not drain._streams

    assert asyncio.run(main())
