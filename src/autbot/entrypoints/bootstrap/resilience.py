"""One dependency's circuit breaker, bulkhead and error count, applied around each call to it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from autbot.domain.errors import DependencyUnavailable, Overloaded
from autbot.domain.model import HealthStatus
from autbot.domain.resilience import CircuitBreaker, Verdict, verdict
from autbot.entrypoints.observability.telemetry import Telemetry

T = TypeVar("T")


class Guard:
    """One dependency's circuit breaker and (optionally) bulkhead, and its error count."""

    def __init__(
        self,
        dependency: str,
        telemetry: Telemetry,
        breaker: CircuitBreaker | None,
        error: type[DependencyUnavailable],
        *,
        slots: int | None = None,
        wait_s: float = 0.0,
    ) -> None:
        self.dependency = dependency
        self.telemetry = telemetry
        self.breaker = breaker
        self.error = error
        self._slots = threading.BoundedSemaphore(slots) if slots else None
        self._wait_s = wait_s

    def admit(self) -> None:
        """Raise at once while the circuit is open (503 with ``Retry-After``)."""
        b = self.breaker
        if b is not None and not b.allow():
            wait = max(1.0, b.retry_after_s())
            self.telemetry.metrics.upstream_errors.labels(self.dependency, "circuit_open").inc()
            raise self.error(
                f"The {self.dependency} failed {b.failure_threshold} times in a row; calls are refused for "
                f"{wait:.0f} s (circuit open).",
                dependency=self.dependency,
                circuit="open",
                retry_after_s=wait,
            )

    def outcome(self, error: BaseException | None) -> None:
        """Count the call's end for the breaker by the error's class (``resilience.verdict``): a caller's
        bad input never counts as the upstream failing."""
        judged = verdict(error)
        if judged is Verdict.FAILURE and isinstance(error, DependencyUnavailable):
            self.telemetry.metrics.upstream_errors.labels(self.dependency, error.code).inc()
        if self.breaker is not None:
            self.breaker.record(judged)

    @contextmanager
    def call(self) -> Iterator[None]:
        self.admit()
        if self._slots is not None and not self._slots.acquire(timeout=self._wait_s):
            busy = Overloaded(
                f"Every {self.dependency} slot stayed busy for {self._wait_s:g} s.", dependency=self.dependency
            )
            self.outcome(busy)  # no call was made: no verdict (a half-open trial is free again)
            raise busy
        try:
            yield
        except BaseException as e:
            self.outcome(e)
            raise
        else:
            self.outcome(None)
        finally:
            if self._slots is not None:
                self._slots.release()

    def run(self, call: Callable[[], T]) -> T:
        with self.call():
            return call()

    def health(self, status: HealthStatus) -> HealthStatus:
        if self.breaker is None:
            return status
        state = self.breaker.state.name.lower().replace("_", "-")
        return HealthStatus(ok=status.ok, detail=f"{status.detail} (circuit {state})")
