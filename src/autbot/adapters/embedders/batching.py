"""``MicroBatchingEmbedder``: concurrent one-text embeddings (search queries) share model calls.

A query embedding is one short text; the model runs a batch of 16 short texts in far less than 16 times
the time of one. Each single-text ``embed`` call waits at most ``window_s`` for others to arrive, then one
worker thread embeds them all in one call of the wrapped embedder. Calls with several texts (ingestion)
go straight through: they are batches already.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future

from autbot.domain.model import HealthStatus
from autbot.ports.embedder import Embedder


class MicroBatchingEmbedder:
    def __init__(self, inner: Embedder, *, window_s: float = 0.002, max_batch: int = 32) -> None:
        self._inner = inner
        self._window_s = window_s
        self._max_batch = max(1, max_batch)
        self._pending: list[tuple[str, Future[list[float]]]] = []
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if len(texts) != 1 or self._closed:
            return self._inner.embed(texts)
        future: Future[list[float]] = Future()
        with self._cond:
            self._pending.append((texts[0], future))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="autbot-embed-batcher", daemon=True)
                self._worker.start()
            self._cond.notify()
        return [future.result()]

    def health(self) -> HealthStatus:
        return self._inner.health()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                if self._closed and not self._pending:
                    return
            time.sleep(self._window_s)  # let concurrent callers join this batch
            with self._cond:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            try:
                vectors = self._inner.embed([text for text, _ in batch])
            except BaseException as e:  # every caller of the batch gets the embedder's error
                for _, future in batch:
                    future.set_exception(e)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)
