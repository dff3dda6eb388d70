"""A circuit breaker: the same rule for every upstream (LLM endpoint, vector store, Redis).

Closed: calls pass; ``failure_threshold`` consecutive failures open it. Open: calls are refused at once
(``allow`` is False) until ``cooldown_s`` has passed; then it is half-open and exactly one trial call is
let through: its success closes the circuit, its failure opens it for another cool-down. A state change
is reported to ``on_change`` (a metric, a log line).

What counts is decided by the error's class alone (``verdict``): only ``DependencyUnavailable`` is a failure.
A caller's mistake (every other ``AutbotError``: invalid input, not found, conflict, forbidden, a full
bulkhead), a cancelled call or a bug in AutBot gives no verdict: it neither opens nor closes a circuit.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable

from autbot.domain.errors import DependencyUnavailable


class BreakerState(enum.IntEnum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class Verdict(enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    NONE = "none"


def verdict(error: BaseException | None) -> Verdict:
    """How a call's end counts for its upstream's breaker: no error is a success, ``DependencyUnavailable``
    (down, timed out, refused the key) a failure, anything else no verdict: it says nothing of the upstream."""
    if error is None:
        return Verdict.SUCCESS
    return Verdict.FAILURE if isinstance(error, DependencyUnavailable) else Verdict.NONE


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, BreakerState], None] | None = None,
    ) -> None:
        self.name = name
        self.failure_threshold = max(1, failure_threshold)
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()  # adapters call from worker threads and from the event loop
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_out = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.cooldown_s:
                return BreakerState.HALF_OPEN
            return self._state

    def retry_after_s(self) -> float:
        """Seconds until the next trial call (0 when closed)."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return 0.0
            return max(0.0, self._opened_at + self.cooldown_s - self._clock())

    def allow(self) -> bool:
        """Whether a call may go to the upstream now (in half-open state: only the first caller)."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.OPEN:
                if self._clock() - self._opened_at < self.cooldown_s:
                    return False
                self._set(BreakerState.HALF_OPEN)
            if self._trial_out:
                return False
            self._trial_out = True
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._failures = 0
            self._trial_out = False
            if self._state is not BreakerState.CLOSED:
                self._set(BreakerState.CLOSED)

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_out = False
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
                if self._state is not BreakerState.OPEN:
                    self._set(BreakerState.OPEN)

    def released(self) -> None:
        """A call ended without a verdict (``Verdict.NONE``): the counts stay, and in half-open state the
        trial is free again for the next caller."""
        with self._lock:
            self._trial_out = False

    def record(self, outcome: Verdict) -> None:
        {Verdict.SUCCESS: self.succeeded, Verdict.FAILURE: self.failed, Verdict.NONE: self.released}[outcome]()

    def _set(self, state: BreakerState) -> None:
        self._state = state
        if self._on_change is not None:
            self._on_change(self.name, state)
