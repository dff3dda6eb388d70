"""``YieldingEmbedder``: background embedding that gives the CPU back while people wait for answers.

Ingestion jobs embed in the same process (and on the same cores) as searches and answers. Lowering the worker
thread's priority alone does not share the machine well: a low-priority thread that holds the interpreter lock
or the store's write lock stalls the requests waiting on them, and the language model's threads, which wait for
each other at every step, lose far more than the share of a core taken from them. So the background embedder
works in small slices and, while interactive work is in flight, pauses after each slice long enough that it
runs at most ``busy_share`` of the time; when nobody is waiting it runs flat out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from autbot.domain.model import HealthStatus
from autbot.ports.embedder import Embedder

MAX_PAUSE_S = 2.0
"""The longest pause after one slice (a slow slice must not stop ingestion for long)."""


class YieldingEmbedder:
    def __init__(
        self,
        inner: Embedder,
        *,
        busy: Callable[[], bool],
        busy_share: float,
        slice_texts: int,
        sleep: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not 0 < busy_share <= 1:
            raise ValueError("busy_share must be in (0, 1]")
        self._inner = inner
        self._busy = busy
        self._share = busy_share
        self._slice = max(1, slice_texts)
        self._sleep = sleep or threading.Event().wait
        self._clock = clock
        self.paused_s = 0.0
        """Time spent pausing for interactive work (read by tests and benchmarks)."""

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self._share >= 1:
            return self._inner.embed(texts)
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._slice):
            began = self._clock()
            vectors += self._inner.embed(texts[start : start + self._slice])
            if self._busy():
                pause = min(MAX_PAUSE_S, (self._clock() - began) * (1 - self._share) / self._share)
                self.paused_s += pause
                self._sleep(pause)
        return vectors

    def health(self) -> HealthStatus:
        return self._inner.health()
