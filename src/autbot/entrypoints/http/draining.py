"""Graceful shutdown: what changes the moment SIGTERM arrives, before uvicorn stops the server.

uvicorn owns SIGTERM/SIGINT (it stops accepting, waits up to ``server.shutdown_grace_s`` for requests in
flight, then cancels them). ``Draining.install`` chains a handler in front of uvicorn's, at start-up:
on the first signal ``/ready`` answers 503 at once (a load balancer stops sending) and open answer
streams end at once with an ``error`` event (code ``shutting_down``) instead of holding the shutdown to
the end of the grace period. A second signal exits at once (uvicorn's forced exit).

A stream's events are produced by a pump task (``until_drained``), the whole generation in that one task,
so its deadlines and its clean-up stay where they were written; the response waits on the pump's queue.
Draining cancels every pump: the generation is cancelled (and charged), and the response learns at once,
not at its next event, which a slow model may send seconds later.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from loguru import logger

T = TypeVar("T")
_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_END = object()  # the pump's last item: the events are over
_DRAINED = object()  # the pump's last item when draining cancelled it


class Draining:
    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._pumps: set[asyncio.Task[None]] = set()
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
        for pump in list(self._pumps):  # a signal handler or another thread: the cancel runs in the pump's loop
            pump.get_loop().call_soon_threadsafe(pump.cancel)

    async def until_drained(self, events: AsyncIterator[T]) -> AsyncIterator[T | None]:
        """``events``, ended by a ``None`` as soon as draining starts (the caller then sends its last event);
        an error raised by ``events`` is raised here. Closing this iterator closes ``events``."""
        if self.started:
            yield None
            return
        queue: asyncio.Queue[tuple[object, Any]] = asyncio.Queue()
        pump = asyncio.create_task(_pump(events, queue))
        self._pumps.add(pump)
        if self.started:  # the signal came between the check above and now
            pump.cancel()
        try:
            while True:
                kind, value = await queue.get()
                if kind is _END:
                    return
                if kind is _DRAINED:
                    yield None
                    return
                if isinstance(value, BaseException):
                    raise value
                yield value
                queue.task_done()  # the pump produces the next event only now: no read-ahead
        finally:
            self._pumps.discard(pump)
            if not pump.done():
                pump.cancel()
            await asyncio.wait({pump})  # the generation's own clean-up (charging what it used) has run


async def _pump(events: AsyncIterator[T], queue: asyncio.Queue[tuple[object, Any]]) -> None:
    """Every event into ``queue``, one at a time (each waits until the previous one was taken)."""
    try:
        async for event in events:
            queue.put_nowait((None, event))
            await queue.join()
        queue.put_nowait((_END, None))
    except asyncio.CancelledError:
        queue.put_nowait((_DRAINED, None))  # harmless when the response itself has gone
    except Exception as error:  # the response raises it, in its own task
        queue.put_nowait((None, error))
    finally:
        closer = getattr(events, "aclose", None)
        if closer is not None:
            await closer()  # the generation is cancelled and what it used is charged
