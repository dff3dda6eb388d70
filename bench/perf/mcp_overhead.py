"""An MCP ``search`` tool call against the same search through REST, on one ``autbot serve`` (fake adapters), in one
run: the official MCP client SDK (2026-07-28 protocol: one POST per call; and the handshake protocol, stateless)
and ``POST /v1/collections/kb/search`` from a kept-alive httpx client, in interleaved rounds, one call at a time.
Also the server's own time per request on each route (the access log's durations: the client's work left out),
the first MCP call of the process (it imports the SDK) and the process's start to ready.

    uv run python -m bench.perf.mcp_overhead [--rounds 5] [--calls 100] [--documents 50]

Results: bench/results/mcp_overhead.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.support.mcp_client import mcp_client
from tests.support.processes import free_port, stop, wait_http

from bench._support.corpus import SEARCH, penguin_docs
from bench._support.results import add_out_argument, stamp, write_json
from bench._support.server import FAKE_ADAPTERS_ENV, serve_argv, start

ARGS = {"collection": "kb", **SEARCH}


async def _rest(http: httpx.AsyncClient, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        t = time.perf_counter()
        r = await http.post("/v1/collections/kb/search", json=SEARCH)
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, r.status_code
    return out


async def _mcp(url: str, mode: str, calls: int) -> list[float]:
    out = []
    async with mcp_client(base_url=url, mode=mode) as client:
        for _ in range(calls):
            t = time.perf_counter()
            result = await client.call_tool("search", ARGS)
            out.append(time.perf_counter() - t)
            assert not result.is_error, result.content
    return out


def _server_ms(log: str, line: str) -> dict[str, float]:
    """The server's own time for the requests whose access line starts with ``line`` (the client's work left
    out): median and count."""
    found = [float(ms) for ms in re.findall(re.escape(line) + r" ([0-9.]+) ms", log)]
    return {"p50_ms": round(statistics.median(found), 2), "requests": len(found)} if found else {}


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "calls": len(ordered),
    }


async def _measure(url: str, rounds: int, calls: int) -> dict[str, Any]:
    t = time.perf_counter()
    await _mcp(url, "auto", 1)  # the process's first MCP request imports the SDK and starts its session manager
    first_ms = round((time.perf_counter() - t) * 1000, 1)
    samples: dict[str, list[float]] = {"rest": [], "mcp": [], "mcp_legacy": []}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        await _rest(http, 10)  # warm
        await _mcp(url, "auto", 10)
        for _ in range(rounds):
            samples["rest"] += await _rest(http, calls)
            samples["mcp"] += await _mcp(url, "auto", calls)
            samples["mcp_legacy"] += await _mcp(url, "legacy", calls)
    return {"first_mcp_call_ms": first_ms, **{name: _summary(s) for name, s in samples.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--documents", type=int, default=50)
    add_out_argument(parser, "mcp_overhead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, **FAKE_ADAPTERS_ENV, "AUTBOT_STORAGE__DATA_DIR": str(Path(tmp) / "data")}
        env |= {"AUTBOT_LIMITS__ENABLED": "false"}
        started = time.perf_counter()
        log = Path(tmp) / "serve.log"
        proc = start(serve_argv(port), env, log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{url}/ready", timeout=120, proc=proc, log=log)
            ready_s = round(time.perf_counter() - started, 2)
            docs = {"documents": penguin_docs(args.documents)}
            assert httpx.post(f"{url}/v1/collections/kb/documents", json=docs, timeout=120).status_code == 201
            result = asyncio.run(_measure(url, args.rounds, args.calls))
        finally:
            stop(proc)
        text = log.read_text()
        result["server"] = {  # the access log's durations: the same calls as the server timed them
            "rest": _server_ms(text, "POST /v1/collections/{collection}/search 200"),
            "mcp_post": _server_ms(text, "POST /mcp 200"),
            "mcp_tool": _server_ms(text, "MCP tool search ok"),
        }
    result = {**stamp(), "start_to_ready_s": ready_s, "documents": args.documents, **result}
    print(result, flush=True)
    write_json(args.out, result)


if __name__ == "__main__":
    main()
