"""Streamed chat completions (``EventStream``) driven as raw ASGI: the first event follows the head at once,
and a client that goes away mid-stream ends the generation (its iterator is closed, the model cancelled)
instead of the server generating on for nobody."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, cast

from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.domain.answers import CompletionDelta
from tests.support.app_client import fake_app

BODY = json.dumps({"model": "chat", "stream": True, "messages": [{"role": "user", "content": "Talk."}]}).encode()


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _stream(llm: ScriptedLanguageModel, *, leave_after: int | None) -> tuple[list[dict[str, Any]], float]:
    """Send one streamed completion; the client leaves after ``leave_after`` body events (None: it stays)."""
    app = cast("Callable[..., Awaitable[None]]", fake_app(overrides={"llm": llm}))  # driven with plain dicts
    events: list[dict[str, Any]] = []
    left = asyncio.Event()
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        events.append(message)
        bodies = [e for e in events if e["type"] == "http.response.body"]
        if leave_after is not None and len(bodies) >= leave_after:
            left.set()
        if message["type"] == "http.response.body" and not message.get("more_body"):
            left.set()

    started = time.perf_counter()
    await asyncio.wait_for(app(_scope(), receive, send), 30)
    return events, time.perf_counter() - started


async def test_the_whole_stream_arrives_with_the_head_first() -> None:
    llm = ScriptedLanguageModel(["one two three"])
    events, _ = await _stream(llm, leave_after=None)
    assert events[0]["type"] == "http.response.start"
    assert events[0]["status"] == 200
    body = b"".join(e.get("body", b"") for e in events[1:])
    assert b'"role":"assistant"' in events[1]["body"]  # the role delta is the first body event
    assert body.endswith(b"data: [DONE]\n\n")
    assert events[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert llm.cancelled == 0


class CountingModel(ScriptedLanguageModel):
    """The scripted model, counting the tokens it produced."""

    produced = 0

    async def stream(self, messages: Any, params: Any) -> AsyncGenerator[CompletionDelta, None]:
        async for delta in super().stream(messages, params):
            self.produced += 1
            yield delta


async def test_a_client_that_goes_away_mid_stream_ends_the_generation() -> None:
    llm = CountingModel([" ".join(["word"] * 200)], token_delay_s=0.02)  # 4 s if nobody stops it
    events, elapsed = await _stream(llm, leave_after=3)
    body = b"".join(e.get("body", b"") for e in events[1:])
    assert b"word" in body
    assert b"[DONE]" not in body
    assert elapsed < 2  # not the model's 4 s
    produced = llm.produced
    await asyncio.sleep(0.2)
    assert llm.produced == produced < 50  # the generation stopped with the stream, not left running
