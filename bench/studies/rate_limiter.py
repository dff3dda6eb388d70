"""Rate limiter cost in one process: ``limits``' asyncio strategies over its ``MemoryStorage`` (the baseline:
a ``hit`` and a ``get_window_stats`` per request) vs ``InProcessRateLimiter``, the memory backend.

For 1, 1,000 and 10,000 callers (one limit, a rate no caller reaches), each variant in a fresh event loop:
CPU microseconds per ``hit`` (``time.process_time`` over 5,000 hits spread over the callers, after one hit
per caller), then the CPU the process burns over one idle second (no hits) after a 0.5 s pause. Variants
alternate in ``--rounds`` rounds; the median is reported.

    uv run python -m bench.studies.rate_limiter [--rounds 3] [--quick]

Results: bench/results/rate_limiter.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import time
from typing import Any

from bench._support.results import add_out_argument, write_json

RATE = "1000000/minute"
NAME = "search"


def _limits_memory(strategy: str) -> Any:
    """The baseline: limits' asyncio strategies on its MemoryStorage; per call a hit, the window's stats and
    the ``RateDecision`` made of them."""
    from limits import parse
    from limits.aio.storage import MemoryStorage
    from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

    from autbot.domain.quotas import RateDecision

    kind = MovingWindowRateLimiter if strategy == "moving-window" else FixedWindowRateLimiter
    limiter, item = kind(MemoryStorage()), parse(RATE)
    window = int(item.get_expiry())

    async def hit(identity: str) -> Any:
        allowed = bool(await limiter.hit(item, NAME, identity))
        stats = await limiter.get_window_stats(item, NAME, identity)
        reset_after_s = min(float(window), max(0.0, float(stats.reset_time) - time.time()))
        remaining = max(0, int(stats.remaining))
        return RateDecision(
            allowed=allowed, limit=int(item.amount), remaining=remaining, reset_after_s=reset_after_s, window_s=window
        )

    return hit


def _in_process(strategy: str) -> Any:
    from autbot.adapters.quotas.in_process import InProcessRateLimiter

    limiter = InProcessRateLimiter({NAME: RATE}, strategy=strategy)  # type: ignore[arg-type]

    async def hit(identity: str) -> Any:
        return await limiter.hit(NAME, identity)

    return hit


async def _measure(make: Any, strategy: str, callers: int, hits: int, idle_s: float) -> dict[str, float]:
    hit = make(strategy)
    for i in range(callers):
        await hit(f"ip:{i}")
    cpu = time.process_time()
    for i in range(hits):
        await hit(f"ip:{i % callers}")
    per_hit_us = (time.process_time() - cpu) / hits * 1e6
    await asyncio.sleep(0.5)
    cpu = time.process_time()
    await asyncio.sleep(idle_s)
    return {"cpu_us_per_hit": per_hit_us, "idle_cpu_s_per_s": (time.process_time() - cpu) / idle_s}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one round, fewer hits, short idle: a smoke test")
    add_out_argument(ap, "rate_limiter")
    args = ap.parse_args()
    rounds, hits, idle_s = (1, 500, 0.2) if args.quick else (args.rounds, 5_000, 1.0)
    variants = {"limits memory (old)": _limits_memory, "InProcessRateLimiter (new)": _in_process}
    runs: dict[str, list[dict[str, float]]] = {}
    for _ in range(rounds):
        for strategy in ("moving-window", "fixed-window"):
            for callers in (1, 1_000, 10_000):
                for name, make in variants.items():
                    r = asyncio.run(_measure(make, strategy, callers, hits, idle_s))
                    runs.setdefault(f"{strategy}|{callers}|{name}", []).append(r)
    rows = []
    print("| strategy | callers | variant | CPU µs / hit | idle CPU s / s |")
    print("|---|---:|---|---:|---:|")
    for key, rs in runs.items():
        strategy, count, name = key.split("|")
        per_hit = statistics.median(r["cpu_us_per_hit"] for r in rs)
        idle = statistics.median(r["idle_cpu_s_per_s"] for r in rs)
        rows.append({"strategy": strategy, "callers": int(count), "variant": name, "cpu_us_per_hit": per_hit,
                     "idle_cpu_s_per_s": idle, "runs": rs})  # fmt: skip
        print(f"| {strategy} | {int(count):,} | {name} | {per_hit:.1f} | {idle:.3f} |")
    meta = {"python": platform.python_version(), "machine": platform.machine(), "rounds": rounds, "hits": hits}
    write_json(args.out, {"meta": meta, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
