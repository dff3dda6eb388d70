"""``/search`` overhead in process: ``POST /v1/collections/kb/search`` through the whole app (middleware, auth,
rate limits, telemetry, the use case over the fake adapters, 20 documents) against the bare Litestar handler
(``bench._support.asgi.bare_search_app``: decodes the same body, returns a canned response of the same JSON
shape). Both are driven as raw ASGI calls in one event loop, in interleaved rounds, so no HTTP client or
socket is measured; ``SearchChunks`` alone (same fakes, same documents) shows the use case's own share. Once
per app configuration: the defaults, a fixed-window rate limit, no rate limits.

    uv run python -m bench.perf.search_overhead [--quick]

Results: bench/results/search_overhead.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from typing import Any

from bench._support import asgi
from bench._support.corpus import SEARCH, penguin_docs
from bench._support.results import add_out_argument, stamp, write_json
from bench._support.server import fake_settings

SEARCH_PATH = "/v1/collections/kb/search"
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "fixed-window rate limit": {"strategy": "fixed-window"},
    "no rate limit": {"enabled": False},
}
"""The ``limits`` section of each app configuration. The search limit is raised in all of them so that the
single caller is never refused (a moving window keeps one entry per request in the window)."""


async def _overhead(quick: bool, limits: dict[str, Any]) -> dict[str, Any]:
    from autbot.entrypoints.http.app import create_app

    settings = fake_settings(tempfile.mkdtemp(prefix="autbot-bench-"), {"search": "100000000/minute", **limits})
    app = create_app(settings)
    running = await asgi.start(app)
    docs = penguin_docs()
    status, _ = await asgi.call(app, "POST", "/v1/collections/kb/documents", json.dumps({"documents": docs}).encode())
    assert status == 201, status
    body = json.dumps(SEARCH).encode()
    status, canned = await asgi.call(app, "POST", SEARCH_PATH, body)
    assert status == 200, status
    bare = asgi.bare_search_app(canned)
    bare_running = await asgi.start(bare)
    rounds = await asgi.interleaved(app, bare, SEARCH_PATH, body, quick)
    await asgi.stop(running, bare_running)
    rates = asgi.medians(rounds)
    app_ms, bare_ms = 1000 / rates["app_rps"], 1000 / rates["bare_rps"]
    use_case_ms = _use_case_ms(settings, docs, 1.0 if quick else 3.0)
    return {
        "use_case_ms": use_case_ms,
        "http_layer_ms": app_ms - use_case_ms,
        "ratio_without_fake_work": bare_ms / max(1e-9, app_ms - use_case_ms),
        **rates,
        "app_ms_per_request": app_ms,
        "bare_ms_per_request": bare_ms,
        "response_bytes": len(canned),
    }


def _use_case_ms(settings: Any, docs: list[dict[str, str]], seconds: float) -> float:
    """The same search through ``SearchChunks`` alone (same fakes, same documents): the adapters' own work."""
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import DocumentInput
    from autbot.domain.retrieval import RetrievalOptions
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.bootstrap.lifecycle import start
    from autbot.use_cases.ingest import IngestRequest
    from autbot.use_cases.search import SearchRequest

    container = build_container(settings)
    start(container)
    inputs = tuple(DocumentInput(id=d["id"], title=d["title"], text=d["text"]) for d in docs)
    container.ingest_documents().execute(IngestRequest(principal=ANONYMOUS, collection="kb", documents=inputs))
    search = container.search_chunks()
    request = SearchRequest(
        principal=ANONYMOUS, collection="kb", query=SEARCH["query"], retrieval=RetrievalOptions(top_k=5)
    )
    n, begun = 0, time.perf_counter()
    while time.perf_counter() - begun < seconds:
        search.execute(request)
        n += 1
    container.shutdown_resources()
    return (time.perf_counter() - begun) * 1000 / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 s instead of 5 of 3 s: a smoke test")
    add_out_argument(parser, "search_overhead")
    args = parser.parse_args()
    variants = {name: asyncio.run(_overhead(args.quick, limits)) for name, limits in VARIANTS.items()}
    print(json.dumps(variants, indent=2))
    write_json(args.out, {**stamp(), "quick": args.quick, "variants": variants})
    return 0


if __name__ == "__main__":
    sys.exit(main())
