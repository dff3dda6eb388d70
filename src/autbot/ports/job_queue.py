from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from autbot.domain.jobs import JobMessage
from autbot.domain.model import HealthStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """A message taken from the queue; ``receipt`` is the queue's own handle for acknowledging it."""

    message: JobMessage
    receipt: object


@runtime_checkable
class JobQueue(Protocol):
    """The durable queue of job messages. Every method raises ``JobStoreUnavailable`` when the queue cannot
    answer.

    Delivery is at least once and first in, first out: a message taken with ``receive`` and never acknowledged
    (its worker died) is delivered again, to this or another worker; it goes only once ``ack`` is called, after
    the work. ``release`` gives a message back at once (the worker is stopping and has not started it).
    """

    def enqueue(self, message: JobMessage) -> None:
        """Store the message durably before returning."""
        ...

    def receive(self, timeout_s: float) -> Delivery | None:
        """The oldest ready message, waiting at most ``timeout_s``; None if none came."""
        ...

    def ack(self, delivery: Delivery) -> None:
        """The work is done: the message is gone for good."""
        ...

    def release(self, delivery: Delivery) -> None:
        """Put an unfinished message back, to be delivered again."""
        ...

    def depth(self) -> int:
        """Messages waiting (not counting those being worked on)."""
        ...

    def health(self) -> HealthStatus: ...
