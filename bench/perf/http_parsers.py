"""uvicorn's HTTP parsers under AutBot: h11 vs httptools, both with the header timeout (``server.http_parser``).

Two real ``autbot serve`` processes on free loopback ports, identical but for ``server.http_parser`` (fake
adapters: hashing embedder, in-memory index, ``limits.enabled=false``; one ingested document), both pinned to
CPU 0 with ``taskset`` when there are several CPUs, the load generator (aiohttp, ``--concurrency`` keep-alive
connections) on CPU 1. For ``GET /health`` and ``POST /v1/collections/kb/search`` each round sends
``--requests`` requests to one server then the other (so that other load on the machine hits both alike), and
reads requests/s and the server's CPU time (``/proc/PID/stat`` user + system) per request. Medians of the
rounds; a warm-up pass first. Bounded: 2 endpoints x 2 servers x ``--rounds`` x ``--requests``.

    uv run python -m bench.perf.http_parsers [--requests 2000] [--concurrency 8] [--rounds 4]

Results: bench/results/http_parsers.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.processes import AutbotServer

from bench._support.corpus import PENGUINS, SEARCH
from bench._support.loadgen import send
from bench._support.measure import cpu_seconds, pin
from bench._support.results import add_out_argument, machine, utc_now, write_json
from bench._support.server import FAKE_ADAPTERS_ENV

PARSERS = ("h11", "httptools")
ENDPOINTS = {
    "GET /health": ("/health", None),
    "POST /v1/collections/kb/search": ("/v1/collections/kb/search", json.dumps(SEARCH).encode()),
}


async def measure(servers: dict[str, AutbotServer], requests: int, concurrency: int, rounds: int) -> dict[str, Any]:
    import aiohttp

    rps: dict[str, dict[str, list[float]]] = {e: {p: [] for p in servers} for e in ENDPOINTS}
    cpu: dict[str, dict[str, list[float]]] = {e: {p: [] for p in servers} for e in ENDPOINTS}
    sessions = {p: aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) for p in servers}
    try:
        for endpoint, (path, body) in ENDPOINTS.items():
            for parser, srv in servers.items():  # warm-up: every connection open, caches filled
                await send(sessions[parser], srv.url + path, body, max(200, requests // 4), concurrency)
            for _ in range(rounds):
                for parser, srv in servers.items():
                    assert srv.proc is not None
                    before = cpu_seconds(srv.proc.pid)
                    seconds = await send(sessions[parser], srv.url + path, body, requests, concurrency)
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


def _start(tmp: Path) -> tuple[dict[str, AutbotServer], bool]:
    """One server per parser, each with the document ingested and pinned to CPU 0 where it can be; and
    whether all were pinned."""
    servers: dict[str, AutbotServer] = {}
    pinned = True
    try:
        for parser in PARSERS:
            env = {**FAKE_ADAPTERS_ENV, "AUTBOT_LIMITS__ENABLED": "false", "AUTBOT_SERVER__HTTP_PARSER": parser}
            servers[parser] = srv = AutbotServer(tmp / parser / "data", env=env).start()
            assert srv.proc is not None
            assert f"HTTP parser {parser}" in srv.log.read_text(errors="replace"), f"not running {parser}"
            pinned = pin(srv.proc.pid, 0) and pinned
            with srv.client(30) as c:
                assert c.post("/v1/collections/kb/documents", json={"documents": [PENGUINS]}).status_code == 201
    except BaseException:
        for srv in servers.values():
            srv.stop()
        raise
    return servers, pinned


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000, help="requests per server per round (per endpoint)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=4)
    add_out_argument(ap, "http_parsers")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="autbot-bench-parsers-"))
    try:
        servers, pinned = _start(tmp)
        try:
            if pinned:
                os.sched_setaffinity(0, {1})
            results = asyncio.run(measure(servers, args.requests, args.concurrency, args.rounds))
        finally:
            for srv in servers.values():
                srv.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "when": utc_now(),
        "machine": machine(),
        "pinned": "servers on CPU 0, client on CPU 1" if pinned else "not pinned",
        "requests_per_round": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "results": results,
    }
    print(json.dumps(report, indent=2))
    write_json(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
