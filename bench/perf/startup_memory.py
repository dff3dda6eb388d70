"""Start-up and memory of ``autbot serve``.

- startup: from process start until ``/ready`` answers 200, with the fakes (and with ``limits`` imported
  first, the variant that shows what that import costs) and with the local models; the server's CPU time
  then and its RSS once ready; and RSS after each heavy part loads, in one process, in the order the default
  server loads them (``memory_steps_mb``).
- rss: RSS of ``autbot serve`` with the local models after a load (ingestion, searches, answers), for each
  memory setting in ``RSS_VARIANTS``; ingestion speed against the first variant, same run.

    uv run python -m bench.perf.startup_memory [--suite all|startup|rss] [--quick]

Results: bench/results/startup_memory.json, merged (``--suite startup`` keeps the last ``rss``; ``--out`` to
write elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from tests.support.processes import free_port

from bench._support.corpus import corpus, queries
from bench._support.measure import cpu_seconds, rss_mb
from bench._support.results import ROOT, add_out_argument, stamp, write_json
from bench._support.server import FAKE_ADAPTERS_ENV, SERVE_CODE

EAGER_LIMITS = "import limits; " + SERVE_CODE
"""The server with ``limits`` (and with it every storage backend) imported first: the start-up variant that
shows what importing it costs (docs/benchmarks.md, section 11)."""


def _serve(
    env_extra: dict[str, str],
    timeout_s: float = 300,
    code: str = SERVE_CODE,
    load: Callable[[str, int], dict[str, float]] | None = None,
) -> dict[str, float]:
    """Runs ``python -c code`` as the server, timed until ``/ready``; its CPU time then, its RSS once ready,
    and what ``load`` measures on it."""
    import httpx

    port = free_port()
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
                    ready, cpu = time.perf_counter() - start, cpu_seconds(proc.pid)
                    time.sleep(0.5)
                    out = {"ready_s": ready, "cpu_s": cpu, "rss_mb": rss_mb(proc.pid)}
                    return {**out, **(load(f"http://127.0.0.1:{port}", proc.pid) if load else {})}
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("not ready in time")
    finally:
        proc.terminate()
        proc.wait(30)


def bench_startup(quick: bool) -> dict[str, Any]:
    runs = 1 if quick else 3
    variants = {"fakes_before": EAGER_LIMITS, "fakes": SERVE_CODE}
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for _ in range(runs):  # interleaved rounds: load from elsewhere hits every variant alike
        for name, code in variants.items():
            rows[name].append(_serve(FAKE_ADAPTERS_ENV, code=code))
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

    docs = [{"id": d.id, "text": d.text} for d in corpus(documents)]

    def run(base: str, pid: int) -> dict[str, float]:
        out: dict[str, float] = {}
        with httpx.Client(base_url=base, timeout=600) as client:
            t = time.perf_counter()
            for i in range(0, len(docs), 50):
                r = client.post("/v1/collections/kb/documents", json={"documents": docs[i : i + 50]})
                assert r.status_code == 201, r.text
            out["ingest_s"] = time.perf_counter() - t
            out["rss_after_ingest_mb"] = rss_mb(pid)
            t = time.perf_counter()
            for q in queries(searches):
                assert client.post("/v1/collections/kb/search", json={"query": q, "top_k": 5}).status_code == 200
            out["search_ms"] = (time.perf_counter() - t) * 1000 / max(1, searches)
            out["rss_after_search_mb"] = rss_mb(pid)
            for q in queries(questions):
                r = client.post("/v1/collections/kb/query", json={"question": q, "max_tokens": 32})
                assert r.status_code == 200, r.text
            out["rss_after_query_mb"] = rss_mb(pid)
            out["peak_rss_mb"] = rss_mb(pid, "VmHWM")
        return out

    return run


RSS_ENV = {"AUTBOT_LIMITS__ENABLED": "false", "AUTBOT_LLM__LOCAL__THREADS": "1"}
"""No request rates (the load would hit them); one llama.cpp thread (steadier on a shared machine)."""
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
first is the baseline of ``ingest_speed_vs_before``. All with the embedder arena ``shrink``,
``embedder.batch_size`` 8, ``server.malloc_arenas`` 2 (the other variants measured: docs/benchmarks.md, section 11)."""


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


SUITES = {"startup": bench_startup, "rss": bench_rss}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=["all", *SUITES], default="all")
    parser.add_argument("--quick", action="store_true", help="one round, a smaller load: a smoke test")
    add_out_argument(parser, "startup_memory")
    args = parser.parse_args()
    res: dict[str, Any] = {**stamp(), "quick": args.quick}
    for name, fn in SUITES.items():
        if args.suite in ("all", name):
            res[name] = fn(args.quick)
            print(name, json.dumps(res[name], indent=2), flush=True)
    write_json(args.out, res, merge=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
