"""Relay overhead: AutBot's plain relay (``model`` = a chat alias, ``llm.backend = openai``) measured against
calling the same fake OpenAI-compatible upstream directly, in the same run (and LiteLLM's proxy the same way,
when a ``litellm`` executable is given).

The fake upstream is a real HTTP server on loopback (asyncio, HTTP/1.1 keep-alive) that answers every chat
completion at once with a fixed body (or a fixed five-chunk stream). Every target gets the same requests from
the same client (aiohttp, one keep-alive connection per concurrent worker), in interleaved rounds so that
background load hits them alike. AutBot runs one worker process pinned to CPU 0 (``taskset``) when it can;
the upstream is pinned to the other CPU; the client (this process) is not pinned.

    uv run python bench/relay.py [--requests 2000] [--concurrency 8] [--repeat 1] [--litellm PATH] [--lean]

Measured: p50/p99 latency of a non-streamed completion (one request at a time), time to the first body byte
of a streamed completion (one at a time), and requests/s with ``--concurrency`` requests in flight. Figures
move from one process start to the next (by 0.3 ms here on a quiet machine): ``--repeat N`` runs the whole
thing N times with fresh processes and reports medians across runs. Results go to ``bench/results/relay.json``.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.processes import free_port, stop, wait_http  # noqa: E402

# --- the fake upstream --------------------------------------------------------------------------------
_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-upstream",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hello there, friend."}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
    }
).encode()


def _sse(d: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(d).encode() + b"\n\n"


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return _sse({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "fake", "choices": [choice]})


_STREAM = b"".join(
    [
        _chunk({"role": "assistant", "content": ""}),
        *(_chunk({"content": w}) for w in ("Hello", " there,", " friend.")),
        _chunk({}, "stop"),
        _sse(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "fake",
                "choices": [],
                "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
            }
        ),
        b"data: [DONE]\n\n",
    ]
)
_MODELS = b'{"object":"list","data":[{"id":"fake","object":"model","created":0,"owned_by":"bench"}]}'


class _Upstream(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, Content-Length bodies only: enough for OpenAI clients."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            body, self.buffer = rest[:length], rest[length:]
            if head.startswith(b"GET"):
                payload, kind = _MODELS, b"application/json"
            elif b'"stream":true' in body.replace(b" ", b""):
                payload, kind = _STREAM, b"text/event-stream"
            else:
                payload, kind = _COMPLETION, b"application/json"
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: "
                + kind
                + b"\r\ncontent-length: "
                + str(len(payload)).encode()
                + b"\r\n\r\n"
                + payload
            )


async def serve_upstream(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Upstream, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


# --- the client ---------------------------------------------------------------------------------------
def _body(model: str, *, stream: bool) -> bytes:
    return json.dumps(
        {"model": model, "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 16, "stream": stream}
    ).encode()


async def _latencies(session: Any, url: str, body: bytes, n: int, *, first_byte: bool) -> list[float]:
    out = []
    headers = {"content-type": "application/json"}
    for _ in range(n):
        start = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as r:
            if first_byte:
                await r.content.readany()
                out.append(time.perf_counter() - start)
                await r.read()
            else:
                await r.read()
                out.append(time.perf_counter() - start)
            assert r.status == 200, (url, r.status)
    return out


async def _throughput(url: str, body: bytes | None, n: int, concurrency: int) -> float:
    """Requests/s with ``concurrency`` in flight (a GET when ``body`` is None), after one warm-up pass."""
    import aiohttp

    headers = {"content-type": "application/json"}
    left = n

    async def worker(session: Any) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            call = session.get(url) if body is None else session.post(url, data=body, headers=headers)
            async with call as r:
                await r.read()
                assert r.status == 200, r.status

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))  # warm every connection
        left = n
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return n / (time.perf_counter() - start)


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``), 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
def _pinned(cpu: int, args: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *args] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else args


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))


def run_once(args: argparse.Namespace) -> dict[str, Any]:
    """Start the upstream, AutBot (and LiteLLM), measure them, stop them."""
    tmp = Path(tempfile.mkdtemp(prefix="autbot-relay-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        up_port, autbot_port = free_port(), free_port()
        upstream = f"http://127.0.0.1:{up_port}/v1"
        procs.append(
            _start(
                _pinned(1, [sys.executable, __file__, "upstream", "--port", str(up_port)]),
                {**os.environ},
                tmp / "upstream.log",
            )
        )
        wait_http(f"{upstream}/models", timeout=30, proc=procs[-1], log=tmp / "upstream.log")
        env = {
            **os.environ,
            "AUTBOT_STORAGE__DATA_DIR": str(tmp / "data"),
            "AUTBOT_EMBEDDER__BACKEND": "hashing",
            "AUTBOT_INDEX__BACKEND": "memory",
            "AUTBOT_AUTH__KEYS_BACKEND": "memory",
            "AUTBOT_SESSIONS__BACKEND": "memory",
            "AUTBOT_LLM__BACKEND": "openai",
            "AUTBOT_LLM__OPENAI__BASE_URL": upstream,
            "AUTBOT_LLM__OPENAI__MODEL": "fake",
            "AUTBOT_LLM__OPENAI__MAX_RETRIES": "0",
            "AUTBOT_LLM__MAX_CONCURRENT": "256",
            "AUTBOT_LLM__MAX_QUEUE": "1024",
            "AUTBOT_LIMITS__ENABLED": "false",
            "AUTBOT_LOGGING__LEVEL": "WARNING",
        }
        serve = [
            sys.executable,
            "-m",
            "autbot.entrypoints.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(autbot_port),
        ]
        if args.lean:
            env |= {"AUTBOT_LOGGING__ACCESS_LOG": "false", "AUTBOT_METRICS__ENABLED": "false"}
        procs.append(_start(_pinned(0, serve), env, tmp / "autbot.log"))
        wait_http(f"http://127.0.0.1:{autbot_port}/health", timeout=120, proc=procs[-1], log=tmp / "autbot.log")
        targets = {
            "upstream direct (baseline)": (f"{upstream}/chat/completions", "fake"),
            "AutBot relay": (f"http://127.0.0.1:{autbot_port}/v1/chat/completions", "chat"),
        }
        if args.litellm:
            lite_port = free_port()
            config = tmp / "litellm.yaml"
            config.write_text(
                "model_list:\n  - model_name: chat\n    litellm_params:\n      model: openai/fake\n"
                f"      api_base: {upstream}\n      api_key: unused\n"
            )
            lite = [
                args.litellm,
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(lite_port),
                "--num_workers",
                "1",
            ]
            lite_env = {
                **os.environ,
                "LITELLM_LOG": "ERROR",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY": "true",  # no key, like the open AutBot
            }
            procs.append(_start(_pinned(0, lite), lite_env, tmp / "litellm.log"))
            wait_http(
                f"http://127.0.0.1:{lite_port}/health/liveliness", timeout=180, proc=procs[-1], log=tmp / "litellm.log"
            )
            targets["LiteLLM proxy"] = (f"http://127.0.0.1:{lite_port}/v1/chat/completions", "chat")
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="bench", choices=["bench", "upstream"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--litellm", help="a litellm executable (pip install 'litellm[proxy]') to measure too")
    parser.add_argument(
        "--repeat", type=int, default=1, help="whole runs with fresh processes; figures are medians across them"
    )
    parser.add_argument("--lean", action="store_true", help="AutBot without its access log and metrics")
    args = parser.parse_args()
    if args.command == "upstream":
        asyncio.run(serve_upstream(args.port))
        return 0

    runs = [run_once(args) for _ in range(args.repeat)]
    results = _median_of(runs) if len(runs) > 1 else runs[0]
    base = results["upstream direct (baseline)"]
    print(
        f"{'target':<28} {'p50 ms':>8} {'p99 ms':>8} {'TTFB p50 ms':>12} {'req/s':>8} {'+p50 ms':>8} {'+TTFB ms':>9}"
        f" {'CPU ms/req':>10}"
    )
    floor = results.pop("AutBot GET /health (floor)")
    for name, r in results.items():
        repeats = r.get("repeats")
        for key, own, theirs in (("added_p50_ms", "p50_ms", "p50_ms"), ("added_ttfb_ms", "ttfb_p50_ms", "ttfb_p50_ms")):
            r[key] = statistics.median(x[key] for x in repeats) if repeats else r[own] - base[theirs]
        print(
            f"{name:<28} {r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} {r['ttfb_p50_ms']:>12.3f} {r['requests_per_s']:>8.0f} "
            f"{r['added_p50_ms']:>8.3f} {r['added_ttfb_ms']:>9.3f} {r['server_cpu_ms_per_request'] or 0:>10.3f}"
        )
        for i, x in enumerate(repeats or []):
            print(
                f"  run {i + 1}: +p50 {x['added_p50_ms']:.3f} ms, +TTFB {x['added_ttfb_ms']:.3f} ms, "
                f"{x['requests_per_s']:.0f} req/s, {x['server_cpu_ms_per_request'] or 0:.3f} ms CPU"
            )
    print(
        f"AutBot answering GET /health (no relay): {floor['requests_per_s']:.0f} req/s, "
        f"{floor['server_cpu_ms_per_request']:.3f} ms CPU a request"
    )
    results["AutBot GET /health (floor)"] = floor
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    meta = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "lean": args.lean,
    }
    (out / ("relay-lean.json" if args.lean else "relay.json")).write_text(
        json.dumps({"settings": meta, "results": results}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
