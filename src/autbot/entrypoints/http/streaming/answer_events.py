"""The answer stream's SSE framing, shared by ``/v1/collections/{c}/query`` and session messages.

Events: ``citations``, ``token``..., ``done``; or ``error`` (a problem body) when the answer fails or the
server drains (a ``None`` event from the draining wrapper: code ``shutting_down``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import msgspec
from litestar.response import ServerSentEventMessage

from autbot.domain.answers import AnswerEvent, CitationsEvent, DoneEvent, TokenEvent
from autbot.domain.errors import AutbotError
from autbot.entrypoints.http.errors.problems import autbot_problem
from autbot.entrypoints.http.errors.transport import ShuttingDown
from autbot.entrypoints.http.schemas import collections as s

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def event(kind: str, payload: Any) -> ServerSentEventMessage:
    return ServerSentEventMessage(event=kind, data=msgspec.json.encode(payload).decode())


async def answer_stream(
    first: AnswerEvent, events: AsyncGenerator[AnswerEvent | None, None], instance: str
) -> AsyncIterator[ServerSentEventMessage]:
    try:
        current: AnswerEvent | None = first
        while True:
            if isinstance(current, CitationsEvent):
                yield event("citations", {"citations": [s.citation_out(c) for c in current.citations]})
            elif isinstance(current, TokenEvent):
                yield event("token", {"text": current.text})
            elif isinstance(current, DoneEvent):
                usage = {
                    "prompt_tokens": current.usage.prompt_tokens,
                    "completion_tokens": current.usage.completion_tokens,
                }
                yield event("done", {"usage": usage, "model": current.model})
            try:
                current = await anext(events)
            except StopAsyncIteration:
                return
            if current is None:  # SIGTERM: the client learns why the stream ends before the answer does
                raise ShuttingDown()
    except AutbotError as error:
        yield event("error", autbot_problem(error, instance))
    finally:
        await events.aclose()
