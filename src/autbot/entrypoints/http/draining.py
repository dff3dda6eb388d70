"""Graceful shutdown: what changes the moment SIGTERM arrives, before uvicorn stops the server.

uvicorn owns SIGTERM/SIGINT (it stops accepting, waits up to ``server.shutdown_grace_s`` for requests in
flight, then cancels them). ``Draining.install`` chains a handler in front of uvicorn's, at start-up:
on the first signal ``/ready`` answers 503 at once (a load balancer stops sending) and open answer
streams end with an ``error`` event (code ``shutting_down``) instead of holding the shutdown to the end
of the grace period. A second signal exits at once (uvicorn's forced exit).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from loguru import logger

T = TypeVar("T")
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Draining:
    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
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

    async def until_drained(self, events: AsyncIterator[T]) -> AsyncIterator[T | None]:
        """``events``, ended by a ``None`` at the first event after draining starts (the caller then sends its
        last event). Checked between events, in the request's own task: the model's call keeps its deadline."""
        try:
            async for event in events:
                if self.started:
                    yield None
                    return
                yield event
        finally:
            closer = getattr(events, "aclose", None)
            if closer is not None:
                await closer()  # the generation is cancelled and what it used is charged
