"""uvicorn's HTTP parsers under AutBot: h11 vs httptools, both with the header timeout (``server.http_parser``).

Two real ``autbot serve`` processes on free loopback ports, identical but for ``server.http_parser`` (fake
adapters: hashing embedder, in-memory index, ``limits.enabled=false``; one ingested document), both pinned to
CPU 0 with ``taskset`` when there are several CPUs, the load generator (aiohttp, ``--concurrency`` keep-alive
connections) on CPU 1. For ``GET /health`` and ``POST /v1/collections/kb/search`` each round sends
``--requests`` requests to one server then the other (so that other load on the machine hits both alike), and
reads requests/s and the server's CPU time (``/proc/PID/stat`` user + system) per request. Medians of the
rounds; a warm-up pass first. Bounded: 2 endpoints x 2 servers x ``--rounds`` x ``--requests``.

    uv run python bench/parsers.py [--requests 2000] [--concurrency 8] [--rounds 4] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.support.processes import AutbotServer  # noqa: E402

PARSERS = ("h11", "httptools")
FAKES = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_AUTH__KEYS_BACKEND": "memory",
    "AUTBOT_SESSIONS__BACKEND": "memory",
    "AUTBOT_LIMITS__ENABLED": "false",
}
SEARCH = json.dumps({"query": "where do penguins live", "top_k": 5}).encode()
DOC = {"id": "d0", "title": "Penguins", "text": "Penguins live in the southern hemisphere, on ice and rocks. " * 8}
ENDPOINTS = {"GET /health": ("/health", None), "POST /v1/collections/kb/search": ("/v1/collections/kb/search", SEARCH)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pin(pid: int, cpu: int) -> bool:
    """Pin a process and all its threads to one CPU (``taskset -a``); False where that is not possible."""
    if not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
        return False
    return subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], capture_output=True).returncode == 0


async def load(session: Any, url: str, body: bytes | None, n: int, concurrency: int) -> float:
    """Sends ``n`` requests over ``concurrency`` keep-alive connections; returns the seconds it took."""
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            call = session.get(url) if body is None else session.post(url, data=body, headers=JSON)
            async with call as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"{url}: {r.status}")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


JSON = {"content-type": "application/json"}


async def measure(servers: dict[str, AutbotServer], requests: int, concurrency: int, rounds: int) -> dict[str, Any]:
    import aiohttp

    rps: dict[str, dict[str, list[float]]] = {e: {p: [] for p in servers} for e in ENDPOINTS}
    cpu: dict[str, dict[str, list[float]]] = {e: {p: [] for p in servers} for e in ENDPOINTS}
    sessions = {p: aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) for p in servers}
    try:
        for endpoint, (path, body) in ENDPOINTS.items():
            for parser, srv in servers.items():  # warm-up: every connection open, caches filled
                await load(sessions[parser], srv.url + path, body, max(200, requests // 4), concurrency)
            for _ in range(rounds):
                for parser, srv in servers.items():
                    assert srv.proc is not None
                    before = cpu_seconds(srv.proc.pid)
                    seconds = await load(sessions[parser], srv.url + path, body, requests, concurrency)
                    used = cpu_seconds(srv.proc.pid) - before
                    rps[endpoint][parser].append(requests / seconds)
                    cpu[endpoint][parser].append(used * 1e6 / requests)
    finally:
        for s in sessions.values():
            await s.close()
    table: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        row = {
            p: {
                "requests_per_s": statistics.median(rps[endpoint][p]),
                "server_cpu_us_per_request": statistics.median(cpu[endpoint][p]),
                "rounds_requests_per_s": [round(x) for x in rps[endpoint][p]],
                "rounds_cpu_us": [round(x) for x in cpu[endpoint][p]],
            }
            for p in servers
        }
        row["ratio_httptools_h11"] = {
            "requests_per_s": row["httptools"]["requests_per_s"] / row["h11"]["requests_per_s"],
            "server_cpu_per_request": row["httptools"]["server_cpu_us_per_request"]
            / row["h11"]["server_cpu_us_per_request"],
        }
        table[endpoint] = row
    return table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000, help="requests per server per round (per endpoint)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--out", type=Path, help="write the results as JSON here too")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="autbot-bench-parsers-"))
    servers: dict[str, AutbotServer] = {}
    try:
        pinned = True
        for parser in PARSERS:
            env = {**FAKES, "AUTBOT_SERVER__HTTP_PARSER": parser}
            servers[parser] = srv = AutbotServer(tmp / parser / "data", env=env).start()
            assert srv.proc is not None
            assert f"HTTP parser {parser}" in srv.log.read_text(errors="replace"), f"not running {parser}"
            pinned = pin(srv.proc.pid, 0) and pinned
            with srv.client(30) as c:
                assert c.post("/v1/collections/kb/documents", json={"documents": [DOC]}).status_code == 201
        if pinned:
            os.sched_setaffinity(0, {1})
        results = asyncio.run(measure(servers, args.requests, args.concurrency, args.rounds))
    finally:
        for srv in servers.values():
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "pinned": "servers on CPU 0, client on CPU 1" if pinned else "not pinned",
        "requests_per_round": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "results": results,
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
