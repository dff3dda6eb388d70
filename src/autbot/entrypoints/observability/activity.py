"""Interactive work in flight: searches, answers and embeddings someone is waiting for.

Background work (ingestion jobs in the server's own worker threads) reads ``busy()`` and yields the CPU while it
is true (``adapters.embedders.yielding``). ``CountInteractive`` wraps the ASGI app and counts each such request
from its start to the end of its response (a streamed answer counts until its last event).
"""

from __future__ import annotations

import re
import threading
from typing import Any

INTERACTIVE_PATH = re.compile(
    r"/v1/(collections/[^/]+/(search|query)|chat/completions|completions|embeddings|sessions/[^/]+/messages)"
)
"""POST routes whose caller waits for a search, an answer or an embedding."""


class InteractiveWork:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def busy(self) -> bool:
        return self._in_flight > 0


class CountInteractive:
    def __init__(self, app: Any, work: InteractiveWork) -> None:
        self.app = app
        self.work = work

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not INTERACTIVE_PATH.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        self.work.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.work.leave()
