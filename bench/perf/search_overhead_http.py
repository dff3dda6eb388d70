"""``/search`` overhead through a real HTTP server: ``POST /v1/collections/kb/search`` on ``autbot serve`` with
the fake adapters (hashing embedder, in-memory index, one document unless ``--documents``) against the bare
Litestar handler (``bench._support.asgi.bare_search_app``: decodes the same ``SearchBody``, returns a canned
``SearchResponse`` of the same bytes) served by the same uvicorn and HTTP parser; and the app once more
without its access log, metrics and rate limits ("lean"), to show what those cost.

Each server runs on CPU 0 (``taskset``); the load comes from the Go load generator (``bench/loadgen``: a
Python client would be the bottleneck against the bare handler) on CPU 1, with ``--concurrency`` kept-alive
connections, in interleaved rounds (bare, app, lean, bare, ...) so that background load hits them alike. The
server's CPU per request is read from ``/proc``. Needs ``go`` on PATH (the load generator is built into a
temp dir).

    uv run python -m bench.perf.search_overhead_http [--rounds 5] [--seconds 3] [--concurrency 8] [--documents 1]

Results: bench/results/search_overhead_http.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from tests.support.processes import free_port, stop, wait_http

from bench._support.corpus import SEARCH, penguin_docs
from bench._support.loadgen import build_go, run_go
from bench._support.measure import cpu_seconds, pinned
from bench._support.results import add_out_argument, stamp, write_json
from bench._support.server import FAKE_ADAPTERS_ENV, serve_argv, start

SEARCH_PATH = "/v1/collections/kb/search"


def _servers(tmp: Path, parser: str, documents: int) -> tuple[list[subprocess.Popen[bytes]], dict[str, str]]:
    """The app and the lean app with ``documents`` ingested, then the bare handler returning the app's answer:
    their processes (started, in that order) and their search URLs."""
    env = {
        **os.environ,
        **FAKE_ADAPTERS_ENV,
        "AUTBOT_STORAGE__DATA_DIR": str(tmp / "data"),
        "AUTBOT_LIMITS__SEARCH": "100000000/minute",  # the limiter runs; the one load generator is never refused
        "AUTBOT_SERVER__HTTP_PARSER": parser,
    }
    lean_env = {  # where the time goes: the same server without access log, metrics and rate limits
        **env,
        "AUTBOT_STORAGE__DATA_DIR": str(tmp / "lean-data"),
        "AUTBOT_LOGGING__ACCESS_LOG": "false",
        "AUTBOT_METRICS__ENABLED": "false",
        "AUTBOT_LIMITS__ENABLED": "false",
    }
    procs, urls = [], {}
    for name, e in (("app", env), ("app_lean", lean_env)):
        port = free_port()
        procs.append(start(pinned(0, serve_argv(port)), e, tmp / f"{name}.log"))  # the access log goes there too
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/ready", timeout=120, proc=procs[-1], log=tmp / f"{name}.log")
        r = httpx.post(f"{base}/v1/collections/kb/documents", json={"documents": penguin_docs(documents)}, timeout=120)
        assert r.status_code == 201, r.status_code
        urls[name] = f"{base}{SEARCH_PATH}"
    canned = httpx.post(urls["app"], json=SEARCH, timeout=60)
    assert canned.status_code == 200, canned.status_code
    (tmp / "canned.json").write_bytes(canned.content)
    port = free_port()
    bare = [
        sys.executable,
        "-m",
        "bench._support.bare_server",
        "--port",
        str(port),
        "--canned",
        str(tmp / "canned.json"),
    ]
    procs.append(start(pinned(0, [*bare, "--http-parser", parser]), {**os.environ}, tmp / "bare.log"))
    wait_http(f"http://127.0.0.1:{port}/schema/openapi.json", timeout=60, proc=procs[-1], log=tmp / "bare.log")
    return procs, {"bare": f"http://127.0.0.1:{port}{SEARCH_PATH}", **urls}


def _rounds(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        exe = build_go(tmp)
        procs, urls = _servers(tmp, args.http_parser, args.documents)
        pids = {"app": procs[0].pid, "app_lean": procs[1].pid, "bare": procs[2].pid}
        urls = {name: urls[name] for name in ("bare", "app", "app_lean")}
        body = tmp / "body.json"
        body.write_text(json.dumps(SEARCH))
        for url in urls.values():  # warm-up: connections, first-call allocations
            run_go(exe, url, body, args.concurrency, 1.0)
        rows: list[dict[str, Any]] = []
        for _ in range(args.rounds):
            row: dict[str, Any] = {}
            for name, url in urls.items():
                before = cpu_seconds(pids[name])
                r = run_go(exe, url, body, args.concurrency, args.seconds)
                r["server_cpu_ms_per_request"] = (cpu_seconds(pids[name]) - before) * 1000 / max(1, r["requests"])
                row[name] = r
            rows.append(row)
            print(
                f"bare {row['bare']['requests_per_s']:.0f} req/s, app {row['app']['requests_per_s']:.0f} req/s: "
                f"ratio {row['app']['requests_per_s'] / row['bare']['requests_per_s']:.2f}; "
                f"lean app {row['app_lean']['requests_per_s']:.0f} req/s",
                flush=True,
            )
        return rows
    finally:
        for p in reversed(procs):
            with contextlib.suppress(Exception):
                stop(p)


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def med(name: str, key: str) -> float:
        return statistics.median(r[name][key] for r in rows)

    def ratio(name: str) -> float:
        return statistics.median(r[name]["requests_per_s"] / r["bare"]["requests_per_s"] for r in rows)

    return {
        "bare_rps": med("bare", "requests_per_s"),
        "app_rps": med("app", "requests_per_s"),
        "ratio_app_vs_bare": ratio("app"),
        "app_lean_rps": med("app_lean", "requests_per_s"),
        "ratio_lean_vs_bare": ratio("app_lean"),
        "bare_p50_ms": med("bare", "p50_ms"),
        "app_p50_ms": med("app", "p50_ms"),
        "bare_cpu_ms_per_request": med("bare", "server_cpu_ms_per_request"),
        "app_cpu_ms_per_request": med("app", "server_cpu_ms_per_request"),
        "app_lean_cpu_ms_per_request": med("app_lean", "server_cpu_ms_per_request"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--documents", type=int, default=1)
    parser.add_argument("--http-parser", default="auto", choices=["auto", "httptools", "h11"])
    add_out_argument(parser, "search_overhead_http")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="autbot-overhead-http-"))
    try:
        rows = _rounds(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = _summary(rows)
    print(json.dumps(summary, indent=2))
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    result = {**stamp(), "load_average_at_end": os.getloadavg(), "settings": settings, **summary, "rounds": rows}
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
