"""``MicroBatchingEmbedder``: concurrent one-text embeddings (search queries) share model calls.

A query embedding is one short text; the model runs a batch of 16 short texts in far less than 16 times
the time of one. A caller that finds no batch running runs one itself, in its own thread (a lone query pays
nothing); callers that arrive meanwhile queue, and when the batch ends the first of them runs the next
batch with everything queued. Under load (the last batch, less than a second ago, had several texts) a
batch also waits up to ``window_s`` for more callers before it starts. Calls with several texts
(ingestion) go straight through: they are batches already.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from autbot.domain.model import HealthStatus
from autbot.ports.embedder import Embedder


class _Call:
    __slots__ = ("done", "error", "lead", "text", "vector")

    def __init__(self, text: str) -> None:
        self.text = text
        self.done = threading.Event()
        self.lead = False
        self.vector: list[float] | None = None
        self.error: BaseException | None = None


class MicroBatchingEmbedder:
    def __init__(self, inner: Embedder, *, window_s: float = 0.002, max_batch: int = 32) -> None:
        self._inner = inner
        self._window_s = window_s
        self._max_batch = max(1, max_batch)
        self._lock = threading.Lock()
        self._pending: list[_Call] = []
        self._running = False
        self._last_batch = (0, 0.0)
        """Size and end time of the last batch: several texts recently means concurrent callers."""

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if len(texts) != 1:
            return self._inner.embed(texts)
        call = _Call(texts[0])
        with self._lock:
            self._pending.append(call)
            call.lead = not self._running
            self._running = True
        if not call.lead:
            call.done.wait()  # answered by another caller's batch, or asked to run the next one
        if call.lead:
            self._run_batch()
        if call.error is not None:
            raise call.error
        assert call.vector is not None
        return [call.vector]

    def health(self) -> HealthStatus:
        return self._inner.health()

    def _run_batch(self) -> None:
        size, ended = self._last_batch
        if size > 1 and time.monotonic() - ended < 1.0:
            time.sleep(self._window_s)  # callers are concurrent: let more join this batch
        with self._lock:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
        try:
            vectors = self._inner.embed([c.text for c in batch])
        except BaseException as e:  # every caller of the batch gets the embedder's error
            for c in batch:
                c.error = e
        else:
            for c, vector in zip(batch, vectors, strict=True):
                c.vector = vector
        self._last_batch = (len(batch), time.monotonic())
        with self._lock:
            if self._pending:  # the first queued caller runs the next batch
                self._pending[0].lead = True
                self._pending[0].done.set()
            else:
                self._running = False
        for c in batch:
            c.lead = False
            c.done.set()


def micro_batched(inner: Embedder, *, window_ms: float) -> Embedder:
    """``inner`` behind a ``MicroBatchingEmbedder`` (``window_ms`` 0: ``inner`` itself)."""
    return MicroBatchingEmbedder(inner, window_s=window_ms / 1000) if window_ms > 0 else inner
