from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable


@runtime_checkable
class GenerationSlots(Protocol):
    """A bounded number of generations at once, with a short bounded queue.

    ``hold()`` waits for a free slot and keeps it until the block ends. When every slot is taken and
    the queue is full it raises ``Overloaded`` at once (with ``retry_after_s``), instead of letting
    latency grow without bound.
    """

    def hold(self) -> AbstractAsyncContextManager[None]: ...
