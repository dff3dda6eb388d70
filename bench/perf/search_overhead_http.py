"""Request overhead through a real HTTP server, the way issue 10 measured it: ``POST
/v1/collections/kb/search`` on ``autbot serve`` with the fake adapters (hashing embedder, in-memory index,
one document unless ``--documents``) against a bare Litestar handler that decodes the same ``SearchBody`` and
returns a canned ``SearchResponse`` of the same bytes, served by the same uvicorn and HTTP parser; and the
app once more without its access log, metrics and rate limits ("lean"), to show what those cost.

Each server runs alone on CPU 0 (``taskset``); the load comes from ``bench/loadgen`` (Go: a Python client
would be the bottleneck against the bare handler) on CPU 1, with ``--concurrency`` kept-alive connections,
in interleaved rounds (bare, app, bare, app, ...) so that background load hits both alike. The server's CPU
per request is read from ``/proc``. Needs ``go`` on PATH (the load generator is built into a temp dir).

    uv run python bench/overhead_http.py [--rounds 5] [--seconds 3] [--concurrency 8] [--documents 1]

Results: bench/results/overhead_http.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import contextlib
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

from tests.support.processes import free_port, stop, wait_http  # noqa: E402

from bench.relay import _pinned, cpu_seconds  # noqa: E402

SEARCH = "/v1/collections/kb/search"
QUERY = {"query": "where do penguins live", "top_k": 5}


def serve_bare(port: int, canned_file: str, parser: str) -> None:
    """The baseline (``bench/speed.py``'s bare handler: same body and response types) under the same uvicorn
    protocol."""
    import uvicorn

    from autbot.entrypoints.http.serving import http_protocol
    from bench.speed import _bare_app

    app = _bare_app(Path(canned_file).read_bytes())
    uvicorn.run(app, host="127.0.0.1", port=port, http=http_protocol(parser), log_level="warning", access_log=False)


def _loadgen(tmp: Path) -> Path:
    go = shutil.which("go")
    if go is None:
        raise SystemExit("bench/overhead_http.py needs Go on PATH to build bench/loadgen")
    exe = tmp / "loadgen"
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=ROOT / "bench" / "loadgen", check=True)
    return exe


def _load(exe: Path, url: str, body: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    """One run of the load generator, no warm-up of its own (the server's CPU is read around the call)."""
    args = [str(exe), "-url", url, "-method", "POST", "-body", str(body), "-H", "content-type: application/json"]
    args += ["-c", str(concurrency), "-d", f"{seconds}s", "-warmup", "0s"]
    out = subprocess.run(_pinned(1, args), capture_output=True, text=True, check=True, timeout=seconds + 60)
    result: dict[str, Any] = json.loads(out.stdout)
    if result["errors"]:
        raise RuntimeError(f"{url}: {result['errors']} failed requests, first: {result.get('first_error')}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="bench", choices=["bench", "bare"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--canned", default="")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--documents", type=int, default=1)
    parser.add_argument("--http-parser", default="auto", choices=["auto", "httptools", "h11"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "overhead_http.json")
    args = parser.parse_args()
    if args.command == "bare":
        serve_bare(args.port, args.canned, args.http_parser)
        return 0

    import httpx

    tmp = Path(tempfile.mkdtemp(prefix="autbot-overhead-http-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        exe = _loadgen(tmp)
        app_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "AUTBOT_STORAGE__DATA_DIR": str(tmp / "data"),
            "AUTBOT_EMBEDDER__BACKEND": "hashing",
            "AUTBOT_INDEX__BACKEND": "memory",
            "AUTBOT_LLM__BACKEND": "fake",
            "AUTBOT_AUTH__KEYS_BACKEND": "memory",
            "AUTBOT_SESSIONS__BACKEND": "memory",
            "AUTBOT_LIMITS__SEARCH": "100000000/minute",  # the limiter runs; the one load generator is never refused
            "AUTBOT_SERVER__HTTP_PARSER": args.http_parser,
        }
        serve = [sys.executable, "-m", "autbot.entrypoints.cli", "serve", "--host", "127.0.0.1"]
        lean_port = free_port()
        lean_env = {  # where the time goes: the same server without access log, metrics and rate limits
            **env,
            "AUTBOT_STORAGE__DATA_DIR": str(tmp / "lean-data"),
            "AUTBOT_LOGGING__ACCESS_LOG": "false",
            "AUTBOT_METRICS__ENABLED": "false",
            "AUTBOT_LIMITS__ENABLED": "false",
        }
        for port, e, name in ((app_port, env, "autbot.log"), (lean_port, lean_env, "lean.log")):
            with (tmp / name).open("wb") as log:  # the access log (default settings) goes here
                procs.append(subprocess.Popen(_pinned(0, [*serve, "--port", str(port)]), env=e, stdout=log, stderr=log))
        app, lean = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{lean_port}"
        wait_http(f"{app}/ready", timeout=120, proc=procs[0], log=tmp / "autbot.log")
        wait_http(f"{lean}/ready", timeout=120, proc=procs[1], log=tmp / "lean.log")
        docs = [
            {"id": f"d{i}", "title": f"Doc {i}", "text": f"Penguins and glaciers, fact {i}. " * 8}
            for i in range(args.documents)
        ]
        for base in (app, lean):
            r = httpx.post(f"{base}/v1/collections/kb/documents", json={"documents": docs}, timeout=120)
            assert r.status_code == 201, r.status_code
        body = tmp / "body.json"
        body.write_text(json.dumps(QUERY))
        canned = httpx.post(f"{app}{SEARCH}", json=QUERY, timeout=60)
        assert canned.status_code == 200, canned.status_code
        (tmp / "canned.json").write_bytes(canned.content)
        bare_cmd = [sys.executable, __file__, "bare", "--port", str(bare_port), "--canned", str(tmp / "canned.json")]
        procs.append(
            subprocess.Popen(
                _pinned(0, [*bare_cmd, "--http-parser", args.http_parser]), stdout=subprocess.DEVNULL, cwd=str(ROOT)
            )
        )
        bare = f"http://127.0.0.1:{bare_port}"
        wait_http(f"{bare}/schema/openapi.json", timeout=60, proc=procs[2], log=tmp / "autbot.log")
        pids = {"bare": procs[2].pid, "app": procs[0].pid, "app_lean": procs[1].pid}
        urls = {"bare": f"{bare}{SEARCH}", "app": f"{app}{SEARCH}", "app_lean": f"{lean}{SEARCH}"}
        for url in urls.values():  # warm-up: connections, first-call allocations
            _load(exe, url, body, args.concurrency, 1.0)
        rows: list[dict[str, Any]] = []
        for _ in range(args.rounds):
            row: dict[str, Any] = {}
            for name, url in urls.items():
                before = cpu_seconds(pids[name])
                r = _load(exe, url, body, args.concurrency, args.seconds)
                r["server_cpu_ms_per_request"] = (cpu_seconds(pids[name]) - before) * 1000 / max(1, r["requests"])
                row[name] = r
            rows.append(row)
            print(
                f"bare {row['bare']['requests_per_s']:.0f} req/s, app {row['app']['requests_per_s']:.0f} req/s: "
                f"ratio {row['app']['requests_per_s'] / row['bare']['requests_per_s']:.2f}; "
                f"lean app {row['app_lean']['requests_per_s']:.0f} req/s",
                flush=True,
            )
    finally:
        for p in reversed(procs):
            with contextlib.suppress(Exception):
                stop(p)
        shutil.rmtree(tmp, ignore_errors=True)

    def med(name: str, key: str) -> float:
        return statistics.median(r[name][key] for r in rows)

    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_end": os.getloadavg(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("command", "port", "canned", "out")},
        "bare_rps": med("bare", "requests_per_s"),
        "app_rps": med("app", "requests_per_s"),
        "ratio_app_vs_bare": statistics.median(r["app"]["requests_per_s"] / r["bare"]["requests_per_s"] for r in rows),
        "app_lean_rps": med("app_lean", "requests_per_s"),
        "ratio_lean_vs_bare": statistics.median(
            r["app_lean"]["requests_per_s"] / r["bare"]["requests_per_s"] for r in rows
        ),
        "bare_p50_ms": med("bare", "p50_ms"),
        "app_p50_ms": med("app", "p50_ms"),
        "bare_cpu_ms_per_request": med("bare", "server_cpu_ms_per_request"),
        "app_cpu_ms_per_request": med("app", "server_cpu_ms_per_request"),
        "app_lean_cpu_ms_per_request": med("app_lean", "server_cpu_ms_per_request"),
        "rounds": rows,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
