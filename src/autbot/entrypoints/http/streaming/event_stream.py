"""Streamed responses (server-sent events) without Litestar's per-stream task group.

Litestar's ``Stream`` sends the head, then opens an anyio task group with a task for the body and one that
waits for the client to go away: the group stands between the head and the first event, on the path of the
time to the first byte (docs/benchmarks.md §6).
``EventStream`` sends the first event right after the head and only then starts one plain asyncio task that
waits for ``http.disconnect``; when the client goes away it cancels the streaming task, which ends the
events' iterator (its ``finally`` runs: a generation is cancelled and charged) and returns quietly, as
Litestar's does.

The body is iterated in the request's own task, the one whose handler took the stream's first event: a
generation runs in one task from start to end (its deadlines and clean-up stay where they were written), so
``Draining.until_drained`` needs no pump task of its own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.response import ServerSentEvent, Stream
from litestar.response.base import ASGIResponse
from litestar.response.streaming import ASGIStreamingResponse
from litestar.types import Receive, Send


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class _EventStreamResponse(ASGIStreamingResponse):
    __slots__ = ()  # the layout of Litestar's class: ``EventStream`` swaps the class of one it built

    async def send_body(self, send: Send, receive: Receive) -> None:
        task = asyncio.current_task()
        assert task is not None  # in a task: uvicorn runs each request in one
        state = {"active": True, "gone": False}

        def client_left(listener: asyncio.Task[None]) -> None:
            if state["active"] and not listener.cancelled() and listener.exception() is None:
                state["gone"] = True
                task.cancel()

        listener: asyncio.Task[None] | None = None
        try:
            async for chunk in self.iterator:
                body = chunk if isinstance(chunk, bytes) else chunk.encode(self.encoding)
                await send({"type": "http.response.body", "body": body, "more_body": True})
                if listener is None:  # after the first event, which goes out right behind the head
                    listener = asyncio.create_task(_until_disconnect(receive))
                    listener.add_done_callback(client_left)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not state["gone"]:
                raise
            task.uncancel()  # the client went away: the stream ends here, like Litestar's
        finally:
            state["active"] = False
            if listener is not None:
                listener.cancel()


class _LeanBody(Stream):
    """Swaps the streaming response Litestar builds for one with the lean body above."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:
        response: ASGIResponse = super().to_asgi_response(*args, **kwargs)
        if type(response) is ASGIStreamingResponse:  # (a HEAD request's is a plain one)
            response.__class__ = _EventStreamResponse  # same slots, same state: only ``send_body`` differs
        return response


class EventStream(_LeanBody):
    """``Stream`` with the lean body above (an async iterator of bytes or str)."""


class ServerSentEvents(_LeanBody, ServerSentEvent):
    """``ServerSentEvent`` with the lean body above (an async iterator of ``ServerSentEventMessage``)."""
