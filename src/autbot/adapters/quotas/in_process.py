"""The ``RateLimiter`` port counted in this process: exact, O(1) amortised per hit, no threads or timers."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Literal

from autbot.domain.errors import ConfigurationError
from autbot.domain.quotas import RateDecision, parse_rate

Strategy = Literal["moving-window", "fixed-window"]


class _Hits:
    """One caller's allowed hits in a moving window: (time, cost), oldest first, and their total cost."""

    __slots__ = ("hits", "used")

    def __init__(self) -> None:
        self.hits: deque[tuple[float, int]] = deque()
        self.used = 0

    def expire(self, horizon: float) -> None:
        hits = self.hits
        while hits and hits[0][0] <= horizon:  # each hit is appended once and dropped once: O(1) amortised
            self.used -= hits.popleft()[1]


class _Limit:
    """One configured limit: ``amount`` units per ``window_s`` seconds, and its callers' state."""

    __slots__ = ("amount", "fixed", "held_at_sweep", "hits_since_sweep", "moving", "swept_at", "window", "window_s")

    def __init__(self, amount: int, window_s: int, now: float) -> None:
        self.amount = amount
        self.window_s = window_s
        self.window = float(window_s)
        self.moving: dict[str, _Hits] = {}  # identity -> its allowed hits in the window
        self.fixed: dict[str, list[float]] = {}  # identity -> [window start, units used in that window]
        self.hits_since_sweep = 0
        self.held_at_sweep = 0
        self.swept_at = now

    def sweep_due(self, now: float) -> bool:
        """At most once a window, and only after more hits than the last sweep kept callers (O(1) amortised)."""
        self.hits_since_sweep += 1
        return self.hits_since_sweep > self.held_at_sweep and now >= self.swept_at + self.window

    def sweep(self, now: float) -> None:
        """Drop every caller whose newest hit (moving) or window (fixed) ended: O(callers held)."""
        horizon = now - self.window
        if self.moving:
            self.moving = {who: h for who, h in self.moving.items() if h.hits and h.hits[-1][0] > horizon}
        if self.fixed:
            self.fixed = {who: s for who, s in self.fixed.items() if s[0] > horizon}
        self.hits_since_sweep, self.held_at_sweep, self.swept_at = 0, len(self.moving) + len(self.fixed), now


class InProcessRateLimiter:
    """Request limits per limit name and caller, counted exactly for one process.

    ``rates`` maps a limit name to a rate string in the ``limits`` library's notation (``600/minute``, ``10
    per second``; read by ``domain.quotas.parse_rate``), so a rate means what it means for the Redis adapter.
    ``moving-window`` keeps, per limit and caller, its allowed hits inside the window (time and cost, at most
    ``amount`` of them) and their total: a hit is refused when the total plus its cost exceeds ``amount``, and
    ``reset_after_s`` is when the oldest leaves the window. ``fixed-window`` keeps a window start (the caller's
    first hit after the previous window ended, as ``limits`` does) and the units used in it.

    Nothing runs between hits. A hit may sweep its limit: at most once per window, and only after as many
    hits as the last sweep kept callers, it drops the callers whose newest hit is outside the window. So
    memory follows the callers active in the last two windows (plus at most as many hits since the last
    sweep as it kept), and each hit pays O(1) amortised. ``clock`` (monotonic seconds) is injectable.

    Safe under asyncio without a lock: ``hit`` never awaits, so one hit's read-check-write runs to the end
    before another coroutine's starts. It is not thread-safe; one event loop per instance.
    """

    def __init__(
        self,
        rates: Mapping[str, str],
        *,
        strategy: Strategy = "moving-window",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        limits: dict[str, _Limit] = {}
        try:
            for name, rate in rates.items():
                item = parse_rate(rate)
                limits[name] = _Limit(item.amount, item.window_s, clock())
        except ValueError as e:
            raise ConfigurationError(f"Bad rate limit in {dict(rates)}: {e}") from e
        if strategy not in ("moving-window", "fixed-window"):
            raise ConfigurationError(f"Unknown rate limit strategy '{strategy}' (moving-window or fixed-window).")
        self._limits = limits
        self._moving = strategy == "moving-window"
        self._clock = clock

    @property
    def callers_held(self) -> int:
        """(limit, caller) pairs currently held in memory: what the sweep bounds."""
        return sum(len(lim.moving) + len(lim.fixed) for lim in self._limits.values())

    async def hit(self, limit_name: str, identity: str, cost: int = 1) -> RateDecision:
        return self.hit_now(limit_name, identity, cost)

    def hit_now(self, limit_name: str, identity: str, cost: int = 1) -> RateDecision:
        """``hit`` without the coroutine: the whole decision, with no suspension point inside."""
        lim = self._limits.get(limit_name)
        if lim is None:
            raise ConfigurationError(f"No rate limit named '{limit_name}' (configured: {sorted(self._limits)}).")
        if cost < 1:
            raise ValueError(f"A hit costs at least 1, not {cost}.")
        now = self._clock()
        if lim.sweep_due(now):
            lim.sweep(now)
        return self._moving_hit(lim, identity, now, cost) if self._moving else self._fixed_hit(lim, identity, now, cost)

    @staticmethod
    def _moving_hit(lim: _Limit, identity: str, now: float, cost: int) -> RateDecision:
        state = lim.moving.get(identity)
        if state is None:
            state = lim.moving[identity] = _Hits()
        state.expire(now - lim.window)
        allowed = state.used + cost <= lim.amount
        if allowed:
            state.hits.append((now, cost))
            state.used += cost
        oldest = state.hits[0][0] if state.hits else now
        return RateDecision(
            allowed=allowed,
            limit=lim.amount,
            remaining=lim.amount - state.used,
            reset_after_s=min(lim.window, max(0.0, oldest + lim.window - now)),
            window_s=lim.window_s,
        )

    @staticmethod
    def _fixed_hit(lim: _Limit, identity: str, now: float, cost: int) -> RateDecision:
        state = lim.fixed.get(identity)
        if state is None or now >= state[0] + lim.window:
            state = lim.fixed[identity] = [now, 0.0]
        allowed = state[1] + cost <= lim.amount
        if allowed:
            state[1] += cost
        return RateDecision(
            allowed=allowed,
            limit=lim.amount,
            remaining=lim.amount - int(state[1]),
            reset_after_s=min(lim.window, max(0.0, state[0] + lim.window - now)),
            window_s=lim.window_s,
        )
