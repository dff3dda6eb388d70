"""InProcessRateLimiter on a fake clock: window expiry, ``reset_after_s`` and the sweep that bounds memory."""

from __future__ import annotations

from typing import Any

import pytest

from autbot.adapters.quotas.in_process import InProcessRateLimiter
from autbot.domain.errors import ConfigurationError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(rates: dict[str, str], strategy: Any = "moving-window") -> tuple[InProcessRateLimiter, Clock]:
    clock = Clock()
    return InProcessRateLimiter(rates, strategy=strategy, clock=clock), clock


def allowed(rl: InProcessRateLimiter, n: int, who: str = "ip:1", name: str = "search") -> list[bool]:
    return [rl.hit_now(name, who).allowed for _ in range(n)]


def test_moving_window_frees_each_request_when_it_leaves_the_window() -> None:
    rl, clock = limiter({"search": "3/minute"})
    assert allowed(rl, 1) == [True]  # at t=0
    clock.now += 20
    assert allowed(rl, 1) == [True]  # at t=20
    clock.now += 20
    assert allowed(rl, 2) == [True, False]  # at t=40: the third, then refused
    denied = rl.hit_now("search", "ip:1")
    assert (denied.allowed, denied.remaining) == (False, 0)
    assert denied.reset_after_s == pytest.approx(20.0)  # the t=0 hit leaves at t=60
    clock.now += 19.5
    assert allowed(rl, 1) == [False]
    clock.now += 0.5  # t=60: the t=0 hit is out, exactly one request is free
    assert allowed(rl, 2) == [True, False]
    after = rl.hit_now("search", "ip:1")
    assert after.reset_after_s == pytest.approx(20.0)  # now the t=20 hit is the oldest: leaves at t=80


def test_moving_window_remaining_and_reset_after_an_allowed_hit() -> None:
    rl, clock = limiter({"search": "5/hour"})
    first = rl.hit_now("search", "ip:1")
    assert (first.allowed, first.limit, first.remaining, first.window_s) == (True, 5, 4, 3600)
    assert first.reset_after_s == pytest.approx(3600.0)
    clock.now += 600
    second = rl.hit_now("search", "ip:1")
    assert second.remaining == 3
    assert second.reset_after_s == pytest.approx(3000.0)  # the oldest hit's exit, not the newest's


def test_refused_hits_are_not_counted_in_a_moving_window() -> None:
    rl, clock = limiter({"search": "2/minute"})
    assert allowed(rl, 10) == [True, True] + [False] * 8
    clock.now += 60
    assert allowed(rl, 3) == [True, True, False]  # the refusals did not push the window on


def test_fixed_window_resets_whole_after_the_window() -> None:
    rl, clock = limiter({"search": "2/minute"}, "fixed-window")
    assert allowed(rl, 3) == [True, True, False]
    clock.now += 45
    denied = rl.hit_now("search", "ip:1")
    assert (denied.allowed, denied.remaining) == (False, 0)
    assert denied.reset_after_s == pytest.approx(15.0)  # the window started at the first hit
    clock.now += 15
    fresh = rl.hit_now("search", "ip:1")
    assert (fresh.allowed, fresh.remaining) == (True, 1)
    assert fresh.reset_after_s == pytest.approx(60.0)


@pytest.mark.parametrize("strategy", ["moving-window", "fixed-window"])
def test_the_sweep_bounds_memory_by_the_callers_of_the_last_windows(strategy: str) -> None:
    rl, clock = limiter({"search": "5/second", "ingest": "1/second"}, strategy)
    per_window = 100
    for i in range(50_000):  # 50,000 distinct callers, 100 a second, for 500 seconds
        clock.now += 1 / per_window
        assert rl.hit_now("search", f"ip:{i}").allowed
        held = rl.callers_held
        assert held <= 3 * per_window, (i, held)  # the last two windows' callers, and hits since the sweep
    clock.now += 10
    rl.hit_now("ingest", "ip:0")
    assert rl.callers_held <= 3 * per_window  # one limit's sweep leaves the other's callers to its own hits
    for _ in range(3 * per_window):
        rl.hit_now("search", "ip:late")
    assert rl.callers_held == 2  # every idle caller dropped: one per limit is left


def test_a_caller_in_its_window_survives_the_sweep() -> None:
    rl, clock = limiter({"search": "2/minute"})
    assert allowed(rl, 2, who="ip:steady") == [True, True]
    for i in range(1_000):  # others come and go; sweeps run, but ip:steady's window is not over
        clock.now += 0.05
        rl.hit_now("search", f"ip:{i}")
    assert clock.now - 1000.0 == pytest.approx(50.0)
    assert allowed(rl, 1, who="ip:steady") == [False]  # still counted: not forgotten by a sweep


def test_bad_configuration_fails_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="search"):
        InProcessRateLimiter({"search": "lots"})
    with pytest.raises(ConfigurationError, match="strategy"):
        InProcessRateLimiter({"search": "1/second"}, strategy="leaky-bucket")  # type: ignore[arg-type]
    rl = InProcessRateLimiter({"search": "1/second"})
    with pytest.raises(ConfigurationError, match="nope"):
        rl.hit_now("nope", "ip:1")


async def test_hit_is_the_same_decision_through_the_port() -> None:
    rl, _ = limiter({"search": "1/hour"})
    first, second = await rl.hit("search", "ip:1"), await rl.hit("search", "ip:1")
    assert (first.allowed, second.allowed, second.remaining) == (True, False, 0)
