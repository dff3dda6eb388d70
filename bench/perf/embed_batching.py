"""Query embeddings under 16 concurrent callers: the raw ONNX embedder called from 16 threads against
``MicroBatchingEmbedder`` around it (no wait, and a 2 ms wait); baselines: one text per call and 16 texts per
call, sequential; and the micro-batching wrapper with one caller at a time (the idle server's case). The
concurrent variants run in interleaved rounds; medians.

    uv run python -m bench.perf.embed_batching [--quick]

Results: bench/results/embed_batching.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench._support.corpus import queries
from bench._support.results import add_out_argument, stamp, write_json


def _concurrent(embed: Any, texts: list[str], clients: int) -> tuple[float, list[float]]:
    """Texts/s with ``clients`` threads each embedding one text per call, and each call's milliseconds."""
    latencies: list[float] = []
    lock = threading.Lock()

    def one(text: str) -> None:
        t = time.perf_counter()
        embed([text])
        with lock:
            latencies.append((time.perf_counter() - t) * 1000)

    begun = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, texts))
    return len(texts) / (time.perf_counter() - begun), latencies


def _sequential(raw: Any, texts: list[str], per_call: int) -> float:
    """Texts/s of one caller embedding ``per_call`` texts per call."""
    t = time.perf_counter()
    for i in range(0, len(texts), per_call):
        raw.embed(texts[i : i + per_call])
    return len(texts) / (time.perf_counter() - t)


def bench_batching(quick: bool, clients: int = 16) -> dict[str, Any]:
    from autbot.adapters.embedders.batching import MicroBatchingEmbedder
    from autbot.adapters.embedders.onnx import OnnxEmbedder

    raw = OnnxEmbedder()
    texts = queries(128 if quick else 512)
    raw.embed(texts[:32])  # warm-up
    out: dict[str, Any] = {"clients": clients, "texts": len(texts)}
    out["raw_single_per_s"] = _sequential(raw, texts, 1)
    out["raw_batched_per_s"] = _sequential(raw, texts, clients)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 queries and 2 rounds instead of 512 and 3")
    add_out_argument(parser, "embed_batching")
    args = parser.parse_args()
    result = bench_batching(args.quick)
    print(json.dumps(result, indent=2))
    write_json(args.out, {**stamp(), "quick": args.quick, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
