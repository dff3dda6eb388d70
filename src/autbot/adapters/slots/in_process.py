"""``GenerationSlots`` within one process (one event loop): an asyncio semaphore and a bounded queue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from autbot.domain import limits
from autbot.domain.errors import Overloaded


class InProcessGenerationSlots:
    """At most ``max_concurrent`` holders at once and ``max_queue`` waiting, in this process. A caller
    beyond that gets ``Overloaded`` at once. Each process (worker, replica) has its own slots: the
    bound is per process, which is what protects a model running in that process."""

    def __init__(
        self,
        max_concurrent: int = limits.MAX_CONCURRENT_GENERATIONS,
        max_queue: int = limits.MAX_QUEUED_GENERATIONS,
        *,
        retry_after_s: float = limits.BUSY_RETRY_AFTER_S,
    ) -> None:
        if max_concurrent < 1 or max_queue < 0:
            raise ValueError("max_concurrent must be at least 1 and max_queue at least 0")
        self._capacity = max_concurrent + max_queue
        self._max_concurrent = max_concurrent
        self._max_queue = max_queue
        self._retry_after_s = retry_after_s
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._admitted = 0  # holding or waiting; one event loop, so check-and-increment is atomic

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        if self._admitted >= self._capacity:
            raise Overloaded(
                f"{self._max_concurrent} answers are being generated and {self._max_queue} are waiting; "
                "try again shortly.",
                retry_after_s=self._retry_after_s,
            )
        self._admitted += 1
        try:
            async with self._semaphore:
                yield
        finally:
            self._admitted -= 1
