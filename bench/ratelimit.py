"""Rate limiter cost in one process: ``limits``' asyncio memory storage vs ``InProcessRateLimiter``.

For 1, 1,000 and 10,000 callers (one limit, a rate no caller reaches), each variant in a fresh event loop:
CPU microseconds per ``hit`` (``time.process_time`` over 5,000 hits spread over the callers, after one hit
per caller), then the CPU the process burns over one idle second (no hits) after a 0.5 s pause. The old
variant is what the memory backend used to be: ``limits.aio`` strategies over ``MemoryStorage``, one ``hit``
and one ``get_window_stats`` per request. Variants alternate in ``--rounds`` rounds; the median is reported.
Bounded: about 2 s per variant and caller count per round.

    uv run python bench/ratelimit.py [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

RATE = "1000000/minute"
NAME = "search"


def _old(strategy: str) -> Any:
    """The memory backend before InProcessRateLimiter: limits' asyncio strategies on its MemoryStorage."""
    from limits import parse
    from limits.aio.storage import MemoryStorage

    from autbot.adapters.quotas.limits import _decide, _limiter

    limiter, item = _limiter(strategy, MemoryStorage()), parse(RATE)  # type: ignore[arg-type]

    async def hit(identity: str) -> Any:
        return await _decide(limiter, item, (NAME, identity), 1, fixed=strategy == "fixed-window")

    return hit


def _new(strategy: str) -> Any:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one round, fewer hits, short idle: a smoke test")
    args = ap.parse_args()
    rounds, hits, idle_s = (1, 500, 0.2) if args.quick else (args.rounds, 5_000, 1.0)
    variants = {"limits memory (old)": _old, "InProcessRateLimiter (new)": _new}
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
    out = ROOT / "bench" / "results" / "ratelimit.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "rounds": rounds, "hits": hits}
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
