"""Observability, measured against real ``autbot serve`` processes (fake adapters, loopback, free ports).

- cost: ``POST /v1/collections/kb/search`` throughput (and the server's CPU time per request) with JSON
  logs + access log, metrics and tracing (spans made, no OTLP endpoint) all ON vs all OFF. Two servers, one
  ingested document each, the server's stdout/stderr going to a file; 16 concurrent httpx clients for a
  fixed duration after a warm-up, the two servers measured alternately (``--rounds``) so that other load on
  the machine hits both alike.
- rss: the server's RSS sampled every 5 s (``/proc/PID/status`` VmRSS) under a mixed load of
  ingest (50 document ids re-written with new text, so the data stays bounded), search and query, for
  ``--minutes``; start, end and max.

    uv run python -m bench.perf.observability [--suite all|cost|rss] [--seconds 10] [--minutes 10]

Results: bench/results/observability.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import shutil
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from tests.support.processes import AutbotServer

from bench._support.corpus import PENGUINS, SEARCH
from bench._support.measure import cpu_seconds, rss_mb
from bench._support.results import add_out_argument, machine, utc_now, write_json
from bench._support.server import FAKE_ADAPTERS_ENV

FAKES = {**FAKE_ADAPTERS_ENV, "AUTBOT_LIMITS__ENABLED": "false", "AUTBOT_LIMITS__DAILY_TOKENS_PER_KEY": "0"}
ON = {
    "AUTBOT_LOGGING__JSON": "true",
    "AUTBOT_LOGGING__ACCESS_LOG": "true",
    "AUTBOT_METRICS__ENABLED": "true",
    "AUTBOT_TRACING__ENABLED": "true",
}
OFF = {
    "AUTBOT_LOGGING__JSON": "false",
    "AUTBOT_LOGGING__ACCESS_LOG": "false",
    "AUTBOT_METRICS__ENABLED": "false",
    "AUTBOT_TRACING__ENABLED": "false",
}


def _server(tmp: Path, name: str, env: dict[str, str]) -> AutbotServer:
    return AutbotServer(tmp / name / "data", env={**FAKES, **env}).start()


# --- cost -------------------------------------------------------------------------------------------
async def _load(url: str, seconds: float, pid: int, clients: int = 16) -> dict[str, float]:
    """Requests/s of ``clients`` loops each sending one search after the other, for ``seconds``, and the
    server's CPU milliseconds per request."""
    done, errors = 0, 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        deadline = time.perf_counter() + seconds

        async def one() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                r = await client.post("/v1/collections/kb/search", json=SEARCH)
                if r.status_code == 200:
                    done += 1
                else:
                    errors += 1

        start, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(one() for _ in range(clients)))
        elapsed, cpu = time.perf_counter() - start, cpu_seconds(pid) - cpu
    return {"rps": done / elapsed, "cpu_ms": 1000 * cpu / max(done, 1), "errors": errors}


def bench_cost(seconds: float, warmup: float, rounds: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="autbot-bench-obs-"))
    servers = {"on": _server(tmp, "on", ON), "off": _server(tmp, "off", OFF)}
    try:
        for s in servers.values():
            with s.client(30) as c:
                assert c.post("/v1/collections/kb/documents", json={"documents": [PENGUINS]}).status_code == 201
                assert c.post("/v1/collections/kb/search", json=SEARCH).status_code == 200
            assert s.proc is not None
            asyncio.run(_load(s.url, warmup, s.proc.pid))
        runs: dict[str, list[float]] = {"on": [], "off": []}
        cpu: dict[str, list[float]] = {"on": [], "off": []}
        errors = 0
        for _ in range(rounds):
            for name in ("off", "on"):
                proc = servers[name].proc
                assert proc is not None
                r = asyncio.run(_load(servers[name].url, seconds, proc.pid))
                runs[name].append(r["rps"])
                cpu[name].append(r["cpu_ms"])
                errors += int(r["errors"])
        log_bytes = {n: s.log.stat().st_size for n, s in servers.items()}
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    on, off = statistics.median(runs["on"]), statistics.median(runs["off"])
    on_cpu, off_cpu = statistics.median(cpu["on"]), statistics.median(cpu["off"])
    return {
        "seconds": seconds,
        "warmup_s": warmup,
        "rounds": rounds,
        "clients": 16,
        "on_rps": on,
        "off_rps": off,
        "ratio_on_off": on / off,
        "on_cpu_ms_per_request": on_cpu,
        "off_cpu_ms_per_request": off_cpu,
        "cpu_ratio_on_off": on_cpu / off_cpu,
        "on_rounds": runs["on"],
        "off_rounds": runs["off"],
        "errors": errors,
        "log_bytes": log_bytes,
    }


# --- rss --------------------------------------------------------------------------------------------
async def _mixed(url: str, seconds: float, pid: int, every: float = 5.0) -> dict[str, Any]:
    counts = {"ingest": 0, "search": 0, "query": 0, "errors": 0}
    samples: list[tuple[float, float]] = []
    start = time.perf_counter()
    deadline = start + seconds
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def worker(kind: str) -> None:
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                if kind == "ingest":
                    doc = {"id": f"d{i % 50}", "title": f"Doc {i % 50}", "text": f"Glaciers move, note {i}. " * 40}
                    r = await client.post("/v1/collections/kb/documents", json={"documents": [doc]})
                elif kind == "search":
                    r = await client.post("/v1/collections/kb/search", json=SEARCH)
                else:
                    r = await client.post("/v1/collections/kb/query", json={"question": "Where do penguins live?"})
                counts[kind if r.status_code in (200, 201) else "errors"] += 1

        async def sampler() -> None:
            while True:
                samples.append((round(time.perf_counter() - start, 1), rss_mb(pid)))
                if time.perf_counter() >= deadline:
                    return
                await asyncio.sleep(min(every, max(0.0, deadline - time.perf_counter())))

        kinds = ["ingest"] * 2 + ["search"] * 8 + ["query"] * 6
        await asyncio.gather(sampler(), *(worker(k) for k in kinds))
    rss = [m for _, m in samples]
    return {
        "minutes": seconds / 60,
        "requests": counts,
        "rss_start_mb": rss[0],
        "rss_end_mb": rss[-1],
        "rss_max_mb": max(rss),
        "samples": samples,
    }


def bench_rss(minutes: float) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="autbot-bench-rss-"))
    server = _server(tmp, "rss", ON)
    try:
        with server.client(30) as c:
            assert c.post("/v1/collections/kb/documents", json={"documents": [PENGUINS]}).status_code == 201
        assert server.proc is not None
        return asyncio.run(_mixed(server.url, minutes * 60, server.proc.pid))
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("autbot", "litestar", "uvicorn", "httpx", "prometheus-client", "opentelemetry-sdk", "loguru"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", choices=["all", "cost", "rss"], default="all")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per server per round")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the RSS run")
    add_out_argument(parser, "observability")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "started": utc_now(),
        "machine": machine(),
        "versions": _versions(),
        "command": " ".join(sys.argv),
    }
    if args.suite in ("all", "cost"):
        c = result["cost"] = bench_cost(args.seconds, args.warmup, args.rounds)
        print(f"search, 16 clients, {args.seconds:g} s x {args.rounds} rounds (median)")
        print("| observability | requests/s | on / off | server CPU ms/request | on / off |")
        print("|---|---:|---:|---:|---:|")
        print(f"| all off | {c['off_rps']:.0f} | 1.00 | {c['off_cpu_ms_per_request']:.2f} | 1.00 |")
        print(
            f"| JSON logs + access log, metrics, tracing | {c['on_rps']:.0f} | {c['ratio_on_off']:.2f} | "
            f"{c['on_cpu_ms_per_request']:.2f} | {c['cpu_ratio_on_off']:.2f} |"
        )
        print(f"errors: {c['errors']}; server log bytes: {c['log_bytes']}")
    if args.suite in ("all", "rss"):
        r = result["rss"] = bench_rss(args.minutes)
        print(f"mixed load {args.minutes:g} min: {r['requests']}")
        print(f"RSS MiB start {r['rss_start_mb']:.1f}, end {r['rss_end_mb']:.1f}, max {r['rss_max_mb']:.1f}")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
