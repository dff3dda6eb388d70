"""Graceful shutdown: what changes the moment SIGTERM arrives, before uvicorn stops the server.

uvicorn owns SIGTERM/SIGINT (it stops accepting, closes idle connections, waits up to
``server.shutdown_grace_s`` for requests in flight, then cancels them). ``Draining.install`` chains a handler
in front of uvicorn's, at start-up. On the first signal:

1. at once, ``/ready`` answers 503 (a load balancer's health check takes the replica out) and every response
   carries ``Connection: close`` (``CloseWhenDraining``: no balancer or client keeps a connection to this
   replica for its next request); the server goes on listening and serving;
2. after ``server.shutdown_delay_s`` the signal reaches uvicorn, which stops listening: by then the balancer
   sends nothing new here (Kubernetes' preStop sleep plays the same part for Service endpoints);
3. requests and answer streams in flight finish within ``server.shutdown_grace_s``; a stream still open
   ``STREAM_END_MARGIN_S`` before the grace ends gets a last ``error`` event (code ``shutting_down``), so its
   client learns why instead of seeing a cut connection when uvicorn cancels what is left.

A second signal skips what is left of the delay; one more is uvicorn's forced exit.

A stream's events are taken by its response in the request's own task (``until_drained``; the streamed
responses of ``event_stream`` iterate in that task, the one whose handler took the first event), so the whole
generation runs in one task and its deadlines and clean-up stay where they were written. Ending the streams
cancels every stream that is waiting for its next event: the generation is cancelled (and charged) and the
response learns at once, not at its next event, which a slow model may send seconds later; a stream that is
busy sending learns before it waits again. No pump task or queue stands between a generation and its response.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncGenerator
from typing import Any, TypeVar

from loguru import logger

T = TypeVar("T")
_SIGNALS = (signal.SIGTERM, signal.SIGINT)
STREAM_END_MARGIN_S = 1.0
"""Streams still open this long before the grace period ends are ended (at most half the grace period)."""


class _Waiter:
    """One stream's task, and whether it is waiting for its next event (only then may draining cancel it)."""

    __slots__ = ("drained", "task", "waiting")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task, self.waiting, self.drained = task, False, False

    def interrupt(self) -> None:  # in the stream's loop
        if self.waiting and not self.drained:
            self.drained = True
            self.task.cancel()


class Draining:
    """The shutdown's state: ``started`` (the first signal: ``/ready`` 503, ``Connection: close``) and
    ``streams_ended`` (the answer streams still open near the end of the grace period are ended)."""

    def __init__(self, *, delay_s: float = 0.0, grace_s: float = 0.0) -> None:
        self.delay_s, self.grace_s = delay_s, grace_s
        self._previous: dict[int, Any] = {}
        self._streams: set[_Waiter] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self.started = False
        self.streams_ended = False

    @property
    def streams_end_after_s(self) -> float:
        """Seconds from the first signal to the end of the streams still open."""
        return self.delay_s + self.grace_s - min(STREAM_END_MARGIN_S, self.grace_s / 2)

    async def install(self) -> None:
        """Litestar start-up hook (in the server's event loop)."""
        self._loop = asyncio.get_running_loop()
        if threading.current_thread() is not threading.main_thread():
            return  # an in-process test client: signals are the host's business
        for sig in _SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous):
                self._previous[sig] = previous
                signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        for timer in self._timers:
            timer.cancel()

    def _on_signal(self, sig: int, frame: Any) -> None:
        previous = self._previous.get(sig)
        if self.started:  # a second signal: no more delay (uvicorn forces its exit on a repeated SIGINT)
            sig = signal.SIGINT
            previous = self._previous.get(signal.SIGINT, previous)
        else:
            self.begin()
            if previous is not None and self.delay_s > 0:
                self._later(self.delay_s, previous, sig, frame)  # uvicorn stops listening after the delay
                return
        if previous is not None:
            previous(sig, frame)

    def _later(self, delay_s: float, callback: Any, *args: Any) -> None:
        """``callback(*args)`` in the server's loop after ``delay_s`` (thread-safe)."""
        loop = self._loop
        if loop is None:  # not started: nothing to wait for
            callback(*args)
            return

        def schedule() -> None:
            self._timers.append(loop.call_later(delay_s, callback, *args))

        loop.call_soon_threadsafe(schedule)

    def begin(self) -> None:
        """Start draining (thread-safe; also for tests): ``/ready`` 503 and ``Connection: close`` at once,
        the streams still open ended ``streams_end_after_s`` later."""
        if self.started:
            return
        self.started = True
        logger.bind(logger_name="autbot.shutdown").warning(
            "Shutting down: /ready answers 503; listening {} s more; requests in flight get {} s",
            self.delay_s,
            self.delay_s + self.grace_s,
        )
        if self._loop is not None:
            self._later(self.streams_end_after_s, self.end_streams)

    def end_streams(self) -> None:
        """End every answer stream still open with ``shutting_down`` (thread-safe; also for tests)."""
        if self.streams_ended:
            return
        self.streams_ended = True
        for stream in list(self._streams):  # a timer or another thread: it runs in the stream's loop
            stream.task.get_loop().call_soon_threadsafe(stream.interrupt)

    async def until_drained(self, events: AsyncGenerator[T, None]) -> AsyncGenerator[T | None, None]:
        """``events``, ended by a ``None`` as soon as the streams are ended (the caller then sends its last event);
        an error raised by ``events`` is raised here. Closing this iterator closes ``events``. Iterate it in
        the task that will keep iterating it (a request's own task)."""
        task = asyncio.current_task()
        assert task is not None  # in a task: a request's
        waiter = _Waiter(task)
        self._streams.add(waiter)
        try:
            while True:
                if self.streams_ended:  # before the first event, or while the last one was being sent
                    if waiter.drained:  # cancelled, but the events swallowed it and went on
                        task.uncancel()
                    yield None
                    return
                waiter.waiting = True
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if not waiter.drained:
                        raise  # not ours (the client went away, the server stops): let it through
                    task.uncancel()
                    yield None
                    return
                finally:
                    waiter.waiting = False
                yield event
        finally:
            self._streams.discard(waiter)
            await events.aclose()  # the generation is cancelled and what it used is charged
