"""Speed benchmarks, each a ratio against a baseline measured in the same run.

- overhead: ``POST /v1/collections/kb/search`` through the whole app (middleware, auth, rate limits,
  telemetry, the use case over the fake adapters) vs a bare Litestar handler that decodes the same body
  and returns a canned response of the same JSON shape. Both are driven as raw ASGI calls in one event loop,
  interleaved rounds, so no HTTP client or socket is measured.
- batching: query embeddings under 16 concurrent callers: the raw ONNX embedder called from 16 threads,
  vs ``MicroBatchingEmbedder`` around it; baselines: one text per call, and 16 texts per call, sequential.
- startup: ``autbot serve`` from process start until ``/ready`` answers 200, with the fakes and with the
  local models; RSS of the server process once ready.
- rss: RSS of ``autbot serve`` with the local models after a load (ingestion, searches, answers), for each
  ``embedder.memory_arena``, ``embedder.batch_size`` and ``server.malloc_arenas``; ingestion speed against the
  old defaults, same run.

    uv run python bench/speed.py [--suite all|overhead|batching|startup|rss] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

FAKES = {
    "index": {"backend": "memory"},
    "embedder": {"backend": "hashing"},
    "llm": {"backend": "fake"},
    "auth": {"keys_backend": "memory"},
    "sessions": {"backend": "memory"},
}


# --- overhead ---------------------------------------------------------------------------------------
async def _asgi(app: Any, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _lifespan(app: Any) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, Any]]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send))
    await asyncio.wait_for(started.wait(), 30)
    return task, inbox


def _bare_app(canned: bytes) -> Any:
    import msgspec
    from litestar import Litestar, post

    from autbot.entrypoints.http.schemas.collections import SearchBody, SearchResponse

    response = msgspec.json.decode(canned, type=SearchResponse)

    @post(
        "/v1/collections/{collection:str}/search",
        status_code=200,
        signature_namespace={"SearchBody": SearchBody, "SearchResponse": SearchResponse},
    )
    async def search(collection: str, data: SearchBody) -> SearchResponse:
        return response

    return Litestar(route_handlers=[search], debug=False)


async def _rate(app: Any, body: bytes, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        status, _ = await _asgi(app, "POST", "/v1/collections/kb/search", body)
        assert status == 200, status
        n += 1
    return n / (time.perf_counter() - start)


OVERHEAD_VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "fixed-window rate limit": {"limits": {"strategy": "fixed-window"}},
    "no rate limit": {"limits": {"enabled": False}},
}
"""Where the time goes: the same app with one part switched off (the search limit is raised so that the
benchmark's single caller is never refused: a moving window keeps one entry per request in the window)."""


async def _overhead(quick: bool, variant: dict[str, Any] | None = None) -> dict[str, Any]:
    from autbot.entrypoints.http.app import create_app
    from autbot.entrypoints.settings import settings_from_dict

    tmp = tempfile.mkdtemp(prefix="autbot-bench-")
    data: dict[str, Any] = {**FAKES, "storage": {"data_dir": tmp}, "logging": {"level": "WARNING"}}
    data["limits"] = {"search": "100000000/minute", **(variant or {}).get("limits", {})}
    settings = settings_from_dict({**data, **{k: v for k, v in (variant or {}).items() if k != "limits"}})
    app = create_app(settings)
    task, inbox = await _lifespan(app)
    docs = [{"id": f"d{i}", "title": f"Doc {i}", "text": f"Penguins and glaciers, fact {i}. " * 8} for i in range(20)]
    status, _ = await _asgi(app, "POST", "/v1/collections/kb/documents", json.dumps({"documents": docs}).encode())
    assert status == 201, status
    body = json.dumps({"query": "where do penguins live", "top_k": 5}).encode()
    status, canned = await _asgi(app, "POST", "/v1/collections/kb/search", body)
    assert status == 200, status
    bare = _bare_app(canned)
    btask, binbox = await _lifespan(bare)
    seconds = 1.0 if quick else 3.0
    await _rate(app, body, 0.5)  # warm-up
    await _rate(bare, body, 0.5)
    rounds = []
    for _ in range(2 if quick else 5):
        rounds.append((await _rate(bare, body, seconds), await _rate(app, body, seconds)))
    for t, q in ((task, inbox), (btask, binbox)):
        await q.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(t, 30)
    bare_rps = statistics.median(b for b, _ in rounds)
    app_rps = statistics.median(a for _, a in rounds)
    use_case_ms = _use_case_ms(settings, docs, seconds)
    return {
        "use_case_ms": use_case_ms,
        "http_layer_ms": 1000 / app_rps - use_case_ms,
        "ratio_without_fake_work": (1000 / bare_rps) / max(1e-9, 1000 / app_rps - use_case_ms),
        "bare_rps": bare_rps,
        "app_rps": app_rps,
        "ratio_app_vs_bare": statistics.median(a / b for b, a in rounds),
        "app_ms_per_request": 1000 / app_rps,
        "bare_ms_per_request": 1000 / bare_rps,
        "response_bytes": len(canned),
    }


def _use_case_ms(settings: Any, docs: list[dict[str, str]], seconds: float) -> float:
    """The same search through ``SearchChunks`` alone (same fakes, same documents): the adapters' own work."""
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import DocumentInput
    from autbot.domain.retrieval import RetrievalOptions
    from autbot.entrypoints.bootstrap.container import build_container, start
    from autbot.use_cases.ingest import IngestRequest
    from autbot.use_cases.search import SearchRequest

    container = build_container(settings)
    start(container)
    inputs = tuple(DocumentInput(id=d["id"], title=d["title"], text=d["text"]) for d in docs)
    container.ingest_documents().execute(IngestRequest(principal=ANONYMOUS, collection="kb", documents=inputs))
    search = container.search_chunks()
    request = SearchRequest(
        principal=ANONYMOUS, collection="kb", query="where do penguins live", retrieval=RetrievalOptions(top_k=5)
    )
    n, start_t = 0, time.perf_counter()
    while time.perf_counter() - start_t < seconds:
        search.execute(request)
        n += 1
    container.shutdown_resources()
    return (time.perf_counter() - start_t) * 1000 / n


def bench_overhead(quick: bool) -> dict[str, Any]:
    return {name: asyncio.run(_overhead(quick, variant)) for name, variant in OVERHEAD_VARIANTS.items()}


# --- micro-batching ---------------------------------------------------------------------------------
def _queries(n: int) -> list[str]:
    words = [
        "river",
        "mountain",
        "engine",
        "protocol",
        "harvest",
        "lattice",
        "signal",
        "archive",
        "orbit",
        "glacier",
        "theory",
        "market",
    ]
    return [f"how does the {words[i % 12]} relate to the {words[(i * 7) % 12]} number {i}" for i in range(n)]


def _concurrent(embed: Any, texts: list[str], clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()

    def one(text: str) -> None:
        t = time.perf_counter()
        embed([text])
        with lock:
            latencies.append((time.perf_counter() - t) * 1000)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, texts))
    return len(texts) / (time.perf_counter() - start), latencies


def bench_batching(quick: bool, clients: int = 16) -> dict[str, Any]:
    from autbot.adapters.embedders.batching import MicroBatchingEmbedder
    from autbot.adapters.embedders.onnx import OnnxEmbedder

    raw = OnnxEmbedder()
    texts = _queries(128 if quick else 512)
    raw.embed(texts[:32])  # warm-up
    t = time.perf_counter()
    for text in texts:
        raw.embed([text])
    single = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(0, len(texts), clients):
        raw.embed(texts[i : i + clients])
    batched = len(texts) / (time.perf_counter() - t)
    out: dict[str, Any] = {"clients": clients, "texts": len(texts), "raw_single_per_s": single}
    out["raw_batched_per_s"] = batched
    rows: dict[str, list[tuple[float, float]]] = {
        "raw_concurrent": [],
        "micro_batched_0ms": [],
        "micro_batched_2ms": [],
    }
    for _ in range(2 if quick else 3):  # interleaved rounds: load from elsewhere hits every variant alike
        rate, lat = _concurrent(raw.embed, texts, clients)
        rows["raw_concurrent"].append((rate, statistics.median(lat)))
        for window_ms in (0.0, 2.0):
            batching = MicroBatchingEmbedder(raw, window_s=window_ms / 1000)
            rate, lat = _concurrent(batching.embed, texts, clients)
            rows[f"micro_batched_{window_ms:g}ms"].append((rate, statistics.median(lat)))
    for name, values in rows.items():
        out[name] = {
            "per_s": statistics.median(r for r, _ in values),
            "p50_ms": statistics.median(p for _, p in values),
        }
    batching = MicroBatchingEmbedder(raw, window_s=0.002)  # one caller at a time: the idle-server case
    t = time.perf_counter()
    for text in texts[:64]:
        batching.embed([text])
    out["micro_batched_one_caller_per_s"] = 64 / (time.perf_counter() - t)
    batching.close()
    return out


# --- start-up and memory ----------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used (less sensitive than wall time to other load)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SERVE = "from autbot.entrypoints.cli import main; main(['serve'])"
EAGER_LIMITS = "import limits; " + SERVE
"""How the server started before ``domain.quotas.parse_rates``: the settings loader imported ``limits`` (and with
it every storage backend) to check the rate settings."""


def _serve(
    env_extra: dict[str, str],
    timeout_s: float = 300,
    code: str = SERVE,
    load: Callable[[str, int], dict[str, float]] | None = None,
) -> dict[str, float]:
    import httpx

    port = _free_port()
    env = {**os.environ, **env_extra, "AUTBOT_SERVER__PORT": str(port)}
    env.setdefault("AUTBOT_STORAGE__DATA_DIR", tempfile.mkdtemp(prefix="autbot-bench-start-"))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - start < timeout_s:
            if proc.poll() is not None:
                raise RuntimeError(f"autbot serve exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 200:
                    ready, cpu = time.perf_counter() - start, _cpu_s(proc.pid)
                    time.sleep(0.5)
                    out = {"ready_s": ready, "cpu_s": cpu, "rss_mb": _rss_mb(proc.pid)}
                    return {**out, **(load(f"http://127.0.0.1:{port}", proc.pid) if load else {})}
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("not ready in time")
    finally:
        proc.terminate()
        proc.wait(30)


def bench_startup(quick: bool) -> dict[str, Any]:
    fakes = {
        "AUTBOT_INDEX__BACKEND": "memory",
        "AUTBOT_EMBEDDER__BACKEND": "hashing",
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_AUTH__KEYS_BACKEND": "memory",
        "AUTBOT_SESSIONS__BACKEND": "memory",
    }
    runs = 1 if quick else 3
    variants = {"fakes_before": EAGER_LIMITS, "fakes": SERVE}
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for _ in range(runs):  # interleaved rounds: load from elsewhere hits every variant alike
        for name, code in variants.items():
            rows[name].append(_serve(fakes, code=code))
    local = [_serve({}) for _ in range(1 if quick else 2)]

    def best(rows: list[dict[str, float]]) -> dict[str, float]:
        return {
            "ready_s": min(r["ready_s"] for r in rows),
            "cpu_s": min(r["cpu_s"] for r in rows),
            "rss_mb": statistics.median(r["rss_mb"] for r in rows),
        }

    return {
        **{name: best(r) for name, r in rows.items()},
        "local_models": best(local),
        "runs": {**rows, "local_models": local},
        "memory_steps_mb": _memory_steps(),
    }


MEMORY_STEPS = """
import json, os, sys, tempfile
def rss():
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
out = [("python", rss())]
import autbot.entrypoints.http.app
out.append(("import the app (litestar, dependency-injector, loguru, prometheus, opentelemetry)", rss()))
from autbot.adapters.embedders.onnx import OnnxEmbedder
e = OnnxEmbedder(); e.embed(["warm up"])
out.append(("ONNX MiniLM embedder loaded (onnxruntime, tokenizers, numpy)", rss()))
e.embed([("The river carries sediment to the delta. " * 40)[: 1000 + i] for i in range(32)])
out.append(("one ingestion batch embedded (32 chunks of 256 tokens)", rss()))
from autbot.adapters.chunk_index.chroma import ChromaChunkIndex
c = ChromaChunkIndex(path=tempfile.mkdtemp()); c.ensure("x")
out.append(("Chroma + SQLite keyword index opened", rss()))
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
LlamaIndexTextSplitter().split("One sentence. Another one.")
out.append(("splitter used once (imports llama-index-core)", rss()))
from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel
m = LlamaCppLanguageModel(preload=True)
out.append(("local LLM loaded (llama.cpp, SmolLM2-135M Q4_1)", rss()))
print(json.dumps(out))
"""


def _memory_steps() -> list[tuple[str, float]]:
    """RSS after each heavy part is loaded, in one process, in the order the default server loads them."""
    out = subprocess.run([sys.executable, "-c", MEMORY_STEPS], capture_output=True, text=True, timeout=600, cwd=ROOT)
    if out.returncode != 0:
        return [("failed", 0.0), (out.stderr[-500:], 0.0)]
    return [tuple(step) for step in json.loads(out.stdout.strip().splitlines()[-1])]  # type: ignore[misc]


def _load(documents: int, searches: int, questions: int) -> Callable[[str, int], dict[str, float]]:
    """Ingest ``documents`` (6 paragraphs each, 50 per request), run ``searches`` and ``questions``; RSS after each."""
    import httpx

    from bench.run import corpus

    docs = [{"id": d.id, "text": d.text} for d in corpus(documents)]

    def run(base: str, pid: int) -> dict[str, float]:
        out: dict[str, float] = {}
        with httpx.Client(base_url=base, timeout=600) as client:
            t = time.perf_counter()
            for i in range(0, len(docs), 50):
                r = client.post("/v1/collections/kb/documents", json={"documents": docs[i : i + 50]})
                assert r.status_code == 201, r.text
            out["ingest_s"] = time.perf_counter() - t
            out["rss_after_ingest_mb"] = _rss_mb(pid)
            t = time.perf_counter()
            for q in _queries(searches):
                assert client.post("/v1/collections/kb/search", json={"query": q, "top_k": 5}).status_code == 200
            out["search_ms"] = (time.perf_counter() - t) * 1000 / max(1, searches)
            out["rss_after_search_mb"] = _rss_mb(pid)
            for q in _queries(questions):
                r = client.post("/v1/collections/kb/query", json={"question": q, "max_tokens": 32})
                assert r.status_code == 200, r.text
            out["rss_after_query_mb"] = _rss_mb(pid)
            out["peak_rss_mb"] = _rss_mb(pid, "VmHWM")
        return out

    return run


RSS_ENV = {"AUTBOT_LIMITS__ENABLED": "false", "AUTBOT_LLM__LOCAL__THREADS": "1"}
"""No request rates (the load would hit them); one llama.cpp thread (two spin on a shared 2-core machine)."""
RSS_VARIANTS: dict[str, dict[str, str]] = {
    "before: no malloc_trim, llama.cpp's prompt cache (8 GiB), micro-batch 512": {
        "AUTBOT_SERVER__MALLOC_TRIM": "false",
        "AUTBOT_LLM__LOCAL__PROMPT_CACHE_MB": "8192",
        "AUTBOT_LLM__LOCAL__MICRO_BATCH": "512",
    },
    "malloc_trim after each ingestion": {
        "AUTBOT_LLM__LOCAL__PROMPT_CACHE_MB": "8192",
        "AUTBOT_LLM__LOCAL__MICRO_BATCH": "512",
    },
    "malloc_trim, no prompt cache, micro-batch 512": {"AUTBOT_LLM__LOCAL__MICRO_BATCH": "512"},
    "after: malloc_trim, no prompt cache, micro-batch 256 (defaults)": {},
    "malloc_trim, no prompt cache, q8_0 KV cache": {"AUTBOT_LLM__LOCAL__KV_CACHE": "q8_0"},
}
"""``server.malloc_trim``, ``llm.local.prompt_cache_mb``, ``llm.local.micro_batch``, ``llm.local.kv_cache``; the
first are the previous defaults. All with the embedder arena ``shrink``, ``embedder.batch_size`` 8,
``server.malloc_arenas`` 2 (the older ``keep``/32/glibc variants: docs/benchmarks.md, "Start-up and memory")."""


def bench_rss(quick: bool, rounds: int = 2) -> dict[str, Any]:
    """The default server (ONNX embedder, Chroma, SmolLM2) after a load, once per variant."""
    load = _load(20 if quick else 100, 20 if quick else 100, 1 if quick else 3)
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in RSS_VARIANTS}
    for _ in range(1 if quick else rounds):  # interleaved: load from elsewhere hits every variant alike
        for name, env in RSS_VARIANTS.items():
            rows[name].append(_serve({**RSS_ENV, **env}, timeout_s=900, load=load))
    out: dict[str, Any] = {"runs": rows}
    before = rows[next(iter(RSS_VARIANTS))]
    for name, runs in rows.items():
        out[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        out[name]["ingest_speed_vs_before"] = statistics.median(
            b["ingest_s"] / r["ingest_s"] for b, r in zip(before, runs, strict=True)
        )
    return out


SUITES = {"overhead": bench_overhead, "batching": bench_batching, "startup": bench_startup, "rss": bench_rss}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", choices=["all", *SUITES], default="all")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = ROOT / "bench" / "results" / "speed.json"
    res: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    res["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    res["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    res["load_average_at_start"] = os.getloadavg()
    for name, fn in SUITES.items():
        if args.suite in ("all", name):
            res[name] = fn(args.quick)
            print(name, json.dumps(res[name], indent=2), flush=True)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
