"""Relay overhead: AutBot's plain relay (``model`` = a chat alias, ``llm.backend = openai``) against calling
the same fake OpenAI-compatible upstream (``bench._support.fake_upstream``) directly, in the same run; and
LiteLLM's proxy the same way when a ``litellm`` executable is given.

Every target gets the same requests from the same client (aiohttp, one keep-alive connection per concurrent
worker), in interleaved rounds so that background load hits them alike. AutBot runs one worker process
pinned to CPU 0 (``taskset``) when it can; the upstream is pinned to the other CPU; the client (this
process) is not pinned. Measured: p50/p99 latency of a non-streamed completion (one request at a time), time
to the first body byte of a streamed completion (one at a time), requests/s with ``--concurrency`` requests
in flight, and each server's CPU time per request. Figures move from one process start to the next:
``--repeat N`` runs the whole measurement N times with fresh processes and reports medians across runs.

    uv run python -m bench.perf.relay [--requests 2000] [--concurrency 8] [--repeat 1] [--litellm PATH] [--lean]

Results: bench/results/relay.json (relay-lean.json with ``--lean``; ``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.processes import free_port, stop, wait_http

from bench._support import fake_upstream
from bench._support.loadgen import JSON, send
from bench._support.measure import cpu_seconds, pinned
from bench._support.results import out_path, write_json
from bench._support.server import FAKE_ADAPTERS_ENV, serve_argv, start


# --- the client ---------------------------------------------------------------------------------------
def _body(model: str, *, stream: bool) -> bytes:
    return json.dumps(
        {"model": model, "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 16, "stream": stream}
    ).encode()


async def _latencies(session: Any, url: str, body: bytes, n: int, *, first_byte: bool) -> list[float]:
    out = []
    for _ in range(n):
        begun = time.perf_counter()
        async with session.post(url, data=body, headers=JSON) as r:
            if first_byte:
                await r.content.readany()
                out.append(time.perf_counter() - begun)
                await r.read()
            else:
                await r.read()
                out.append(time.perf_counter() - begun)
            assert r.status == 200, (url, r.status)
    return out


async def _throughput(url: str, body: bytes | None, n: int, concurrency: int) -> float:
    """Requests/s with ``concurrency`` in flight (a GET when ``body`` is None), after one warm-up pass."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await send(session, url, body, n, concurrency)  # warm every connection
        return n / await send(session, url, body, n, concurrency)


async def measure(
    targets: dict[str, tuple[str, str]], requests: int, concurrency: int, rounds: int, pids: dict[str, int]
) -> dict[str, Any]:
    import aiohttp

    lat: dict[str, list[float]] = {t: [] for t in targets}
    ttfb: dict[str, list[float]] = {t: [] for t in targets}
    rps: dict[str, list[float]] = {t: [] for t in targets}
    cpu: dict[str, float] = dict.fromkeys(targets, 0.0)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for url, model in targets.values():  # warm-up
            await _latencies(session, url, _body(model, stream=False), 200, first_byte=False)
            await _latencies(session, url, _body(model, stream=True), 50, first_byte=True)
        for _ in range(rounds):
            for name, (url, model) in targets.items():
                per = requests // rounds
                lat[name] += await _latencies(session, url, _body(model, stream=False), per, first_byte=False)
                ttfb[name] += await _latencies(session, url, _body(model, stream=True), per // 2, first_byte=True)
    for _ in range(rounds):
        for name, (url, model) in targets.items():
            before = cpu_seconds(pids.get(name))
            rps[name].append(await _throughput(url, _body(model, stream=False), requests, concurrency))
            cpu[name] += cpu_seconds(pids.get(name)) - before
    # The floor: the same AutBot process answering GET /health (middleware, routing, uvicorn), no relay.
    health = targets["AutBot relay"][0].replace("/v1/chat/completions", "/health")
    floor_cpu, floor_rps = 0.0, []
    for _ in range(rounds):
        before = cpu_seconds(pids.get("AutBot relay"))
        floor_rps.append(await _throughput(health, None, requests, concurrency))
        floor_cpu += cpu_seconds(pids.get("AutBot relay")) - before
    floor = {
        "requests_per_s": statistics.median(floor_rps),
        "server_cpu_ms_per_request": floor_cpu * 1000 / (2 * requests * rounds),
    }
    return {
        "AutBot GET /health (floor)": floor,
        **{
            name: {
                "p50_ms": statistics.median(lat[name]) * 1000,
                "p99_ms": statistics.quantiles(lat[name], n=100)[98] * 1000,
                "ttfb_p50_ms": statistics.median(ttfb[name]) * 1000,
                "requests_per_s": statistics.median(rps[name]),
                "server_cpu_ms_per_request": cpu[name] * 1000 / (2 * requests * rounds) if name in pids else None,
                "samples": len(lat[name]),
            }
            for name in targets
        },
    }


# --- the processes ------------------------------------------------------------------------------------
def _start_litellm(litellm: str, upstream: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """LiteLLM's proxy (one worker, CPU 0) relaying model ``chat`` to the upstream, once it is live; its URL."""
    port = free_port()
    config = tmp / "litellm.yaml"
    config.write_text(
        "model_list:\n  - model_name: chat\n    litellm_params:\n      model: openai/fake\n"
        f"      api_base: {upstream}\n      api_key: unused\n"
    )
    argv = [litellm, "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    env = {
        **os.environ,
        "LITELLM_LOG": "ERROR",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY": "true",  # no key, like the open AutBot
    }
    proc = start(pinned(0, argv), env, tmp / "litellm.log")
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health/liveliness", timeout=180, proc=proc, log=tmp / "litellm.log")
    return proc, url


def run_once(args: argparse.Namespace) -> dict[str, Any]:
    """Start the upstream, AutBot (and LiteLLM), measure them, stop them."""
    tmp = Path(tempfile.mkdtemp(prefix="autbot-relay-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        up_port, autbot_port = free_port(), free_port()
        upstream = f"http://127.0.0.1:{up_port}/v1"
        procs.append(fake_upstream.launch(up_port, tmp / "upstream.log", cpu=1))
        wait_http(f"{upstream}/models", timeout=30, proc=procs[-1], log=tmp / "upstream.log")
        env = {
            **os.environ,
            **FAKE_ADAPTERS_ENV,
            "AUTBOT_STORAGE__DATA_DIR": str(tmp / "data"),
            "AUTBOT_LLM__BACKEND": "openai",
            "AUTBOT_LLM__OPENAI__BASE_URL": upstream,
            "AUTBOT_LLM__OPENAI__MODEL": "fake",
            "AUTBOT_LLM__OPENAI__MAX_RETRIES": "0",
            "AUTBOT_LLM__MAX_CONCURRENT": "256",
            "AUTBOT_LLM__MAX_QUEUE": "1024",
            "AUTBOT_LIMITS__ENABLED": "false",
            "AUTBOT_LOGGING__LEVEL": "WARNING",
        }
        if args.lean:
            env |= {"AUTBOT_LOGGING__ACCESS_LOG": "false", "AUTBOT_METRICS__ENABLED": "false"}
        procs.append(start(pinned(0, serve_argv(autbot_port)), env, tmp / "autbot.log"))
        wait_http(f"http://127.0.0.1:{autbot_port}/health", timeout=120, proc=procs[-1], log=tmp / "autbot.log")
        targets = {
            "upstream direct (baseline)": (f"{upstream}/chat/completions", "fake"),
            "AutBot relay": (f"http://127.0.0.1:{autbot_port}/v1/chat/completions", "chat"),
        }
        if args.litellm:
            lite, lite_url = _start_litellm(args.litellm, upstream, tmp)
            procs.append(lite)
            targets["LiteLLM proxy"] = (f"{lite_url}/v1/chat/completions", "chat")
        pids = {"upstream direct (baseline)": procs[0].pid, "AutBot relay": procs[1].pid}
        if args.litellm:
            pids["LiteLLM proxy"] = procs[2].pid
        results = asyncio.run(measure(targets, args.requests, args.concurrency, args.rounds, pids))
    finally:
        for p in reversed(procs):
            with contextlib.suppress(Exception):
                stop(p)
        shutil.rmtree(tmp, ignore_errors=True)

    return results


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median across repeats (fresh processes each time), and each repeat's added p50/TTFB."""
    out: dict[str, Any] = {}
    for name, first in runs[0].items():
        out[name] = {
            key: statistics.median(r[name][key] for r in runs) if isinstance(value, float | int) else value
            for key, value in first.items()
        }
    base = "upstream direct (baseline)"
    for name in out:
        if name in (base, "AutBot GET /health (floor)"):
            continue
        out[name]["repeats"] = [
            {
                "added_p50_ms": r[name]["p50_ms"] - r[base]["p50_ms"],
                "added_ttfb_ms": r[name]["ttfb_p50_ms"] - r[base]["ttfb_p50_ms"],
                "requests_per_s": r[name]["requests_per_s"],
                "server_cpu_ms_per_request": r[name]["server_cpu_ms_per_request"],
            }
            for r in runs
        ]
    return out


def _print(results: dict[str, Any], floor: dict[str, Any]) -> None:
    """A table of the targets (added figures over the upstream called directly) and each repeat's."""
    print(
        f"{'target':<28} {'p50 ms':>8} {'p99 ms':>8} {'TTFB p50 ms':>12} {'req/s':>8} {'+p50 ms':>8} {'+TTFB ms':>9}"
        f" {'CPU ms/req':>10}"
    )
    for name, r in results.items():
        print(
            f"{name:<28} {r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} {r['ttfb_p50_ms']:>12.3f} {r['requests_per_s']:>8.0f} "
            f"{r['added_p50_ms']:>8.3f} {r['added_ttfb_ms']:>9.3f} {r['server_cpu_ms_per_request'] or 0:>10.3f}"
        )
        for i, x in enumerate(r.get("repeats") or []):
            print(
                f"  run {i + 1}: +p50 {x['added_p50_ms']:.3f} ms, +TTFB {x['added_ttfb_ms']:.3f} ms, "
                f"{x['requests_per_s']:.0f} req/s, {x['server_cpu_ms_per_request'] or 0:.3f} ms CPU"
            )
    print(
        f"AutBot answering GET /health (no relay): {floor['requests_per_s']:.0f} req/s, "
        f"{floor['server_cpu_ms_per_request']:.3f} ms CPU a request"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--litellm", help="a litellm executable (pip install 'litellm[proxy]') to measure too")
    parser.add_argument(
        "--repeat", type=int, default=1, help="whole runs with fresh processes; figures are medians across them"
    )
    parser.add_argument("--lean", action="store_true", help="AutBot without its access log and metrics")
    parser.add_argument("--out", type=Path, help="result JSON (default bench/results/relay.json or relay-lean.json)")
    args = parser.parse_args()
    runs = [run_once(args) for _ in range(args.repeat)]
    results = _median_of(runs) if len(runs) > 1 else runs[0]
    base = results["upstream direct (baseline)"]
    floor = results.pop("AutBot GET /health (floor)")
    for r in results.values():
        repeats = r.get("repeats")
        for key, own in (("added_p50_ms", "p50_ms"), ("added_ttfb_ms", "ttfb_p50_ms")):
            r[key] = statistics.median(x[key] for x in repeats) if repeats else r[own] - base[own]
    _print(results, floor)
    results["AutBot GET /health (floor)"] = floor
    meta = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "lean": args.lean,
    }
    out = args.out or out_path("relay-lean" if args.lean else "relay")
    write_json(out, {"settings": meta, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
