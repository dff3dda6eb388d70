"""Graceful shutdown: what changes the moment SIGTERM arrives, before uvicorn stops the server.

uvicorn owns SIGTERM/SIGINT (it stops accepting, waits up to ``server.shutdown_grace_s`` for requests in
flight, then cancels them). ``Draining.install`` chains a handler in front of uvicorn's, at start-up:
on the first signal ``/ready`` answers 503 at once (a load balancer stops sending) and open answer
streams end at once with an ``error`` event (code ``shutting_down``) instead of holding the shutdown to
the end of the grace period. A second signal exits at once (uvicorn's forced exit).

A stream's events are taken by its response in the request's own task (``until_drained``; the streamed
responses of ``event_stream`` iterate in that task, the one whose handler took the first event), so the whole
generation runs in one task and its deadlines and clean-up stay where they were written. Draining cancels
every stream that is waiting for its next event: the generation is cancelled (and charged) and the response
learns at once, not at its next event, which a slow model may send seconds later; a stream that is busy
sending learns before it waits again. No pump task or queue stands between a generation and its response.
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
    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._streams: set[_Waiter] = set()
        self.started = False

    def install(self) -> None:
        """Litestar start-up hook (in the server's event loop)."""
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

    def _on_signal(self, sig: int, frame: Any) -> None:
        previous = self._previous.get(sig)
        if self.started:  # the second signal: uvicorn's forced exit (it forces on a repeated SIGINT)
            sig = signal.SIGINT
            previous = self._previous.get(signal.SIGINT, previous)
        else:
            self.begin()
        if previous is not None:
            previous(sig, frame)

    def begin(self) -> None:
        """Start draining (thread-safe; also for tests)."""
        if self.started:
            return
        self.started = True
        logger.bind(logger_name="autbot.shutdown").warning("Shutting down: /ready answers 503; streams are ended")
        for stream in list(self._streams):  # a signal handler or another thread: it runs in the stream's loop
            stream.task.get_loop().call_soon_threadsafe(stream.interrupt)

    async def until_drained(self, events: AsyncGenerator[T, None]) -> AsyncGenerator[T | None, None]:
        """``events``, ended by a ``None`` as soon as draining starts (the caller then sends its last event);
        an error raised by ``events`` is raised here. Closing this iterator closes ``events``. Iterate it in
        the task that will keep iterating it (a request's own task)."""
        task = asyncio.current_task()
        assert task is not None  # in a task: a request's
        waiter = _Waiter(task)
        self._streams.add(waiter)
        try:
            while True:
                if self.started:  # before the first event, or while the last one was being sent
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
