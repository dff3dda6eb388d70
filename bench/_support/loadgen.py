"""Load generators: the Go one (``bench/loadgen``), for servers a Python client could not keep busy, and an
aiohttp loop of kept-alive connections."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench._support.measure import pinned
from bench._support.results import ROOT

JSON = {"content-type": "application/json"}


def build_go(tmp: Path) -> Path:
    """Builds ``bench/loadgen`` into ``tmp`` (needs ``go`` on PATH); returns the executable."""
    go = shutil.which("go")
    if go is None:
        raise SystemExit("the Go load generator (bench/loadgen) needs Go on PATH")
    exe = tmp / "loadgen"
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=ROOT / "bench" / "loadgen", check=True)
    return exe


def run_go(exe: Path, url: str, body: Path, concurrency: int, seconds: float, cpu: int = 1) -> dict[str, Any]:
    """One run of the Go load generator on CPU ``cpu`` (``POST`` of the JSON in ``body``), no warm-up of its own;
    its report (``requests``, ``requests_per_s``, ``p50_ms``, ...). Raises if a request failed."""
    args = [str(exe), "-url", url, "-method", "POST", "-body", str(body), "-H", "content-type: application/json"]
    args += ["-c", str(concurrency), "-d", f"{seconds}s", "-warmup", "0s"]
    out = subprocess.run(pinned(cpu, args), capture_output=True, text=True, check=True, timeout=seconds + 60)
    result: dict[str, Any] = json.loads(out.stdout)
    if result["errors"]:
        raise RuntimeError(f"{url}: {result['errors']} failed requests, first: {result.get('first_error')}")
    return result


async def send(session: Any, url: str, body: bytes | None, n: int, concurrency: int) -> float:
    """Sends ``n`` requests (a GET when ``body`` is None, else a JSON POST) over ``concurrency`` workers of an
    aiohttp session; returns the seconds it took. Raises on any status but 200."""
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            request = session.get(url) if body is None else session.post(url, data=body, headers=JSON)
            async with request as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"{url}: {r.status}")

    begun = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - begun
