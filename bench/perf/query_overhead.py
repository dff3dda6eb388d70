"""``/query`` overhead in process: ``POST /v1/collections/kb/query`` (not streamed) through the whole app over
the fake adapters (hashing embedder, in-memory index, fake LLM; 20 documents) against the bare Litestar
handler (``bench._support.asgi.bare_query_app``: decodes the same ``QueryBody``, returns a canned
``QueryResponse`` of the same shape); and ``AnswerQuestion`` alone through the container (same fakes, same
documents), so the HTTP layer's share is visible. Raw ASGI calls in one event loop, interleaved rounds.

    uv run python -m bench.perf.query_overhead [--quick]

Results: bench/results/query_overhead.json (``--out`` to write elsewhere).
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
from bench._support.corpus import penguin_docs
from bench._support.results import add_out_argument, stamp, write_json
from bench._support.server import fake_settings

QUERY_PATH = "/v1/collections/kb/query"
QUESTION = "Where do penguins live?"


async def _query_overhead(quick: bool) -> dict[str, Any]:
    from autbot.entrypoints.http.app import create_app

    tmp = tempfile.mkdtemp(prefix="autbot-bench-latency-")
    settings = fake_settings(tmp, {"query": "100000000/minute", "search": "100000000/minute"})
    app = create_app(settings)
    running = await asgi.start(app)
    docs = penguin_docs()
    status, _ = await asgi.call(app, "POST", "/v1/collections/kb/documents", json.dumps({"documents": docs}).encode())
    assert status == 201, status
    body = json.dumps({"question": QUESTION}).encode()
    status, canned = await asgi.call(app, "POST", QUERY_PATH, body)
    assert status == 200, (status, canned[:300])
    assert json.loads(canned)["citations"], "the fake answer cites nothing: the comparison would be unfair"
    bare = asgi.bare_query_app(canned)
    bare_running = await asgi.start(bare)
    rounds = await asgi.interleaved(app, bare, QUERY_PATH, body, quick)
    await asgi.stop(running, bare_running)
    rates = asgi.medians(rounds)
    app_ms, bare_ms = 1000 / rates["app_rps"], 1000 / rates["bare_rps"]
    use_case_ms = await _use_case_ms(settings, docs, 1.0 if quick else 3.0)
    return {
        **rates,
        "bare_ms_per_request": bare_ms,
        "app_ms_per_request": app_ms,
        "use_case_ms": use_case_ms,
        "http_layer_ms": app_ms - use_case_ms,
        "http_layer_share": (app_ms - use_case_ms) / app_ms,
        "ratio_without_fake_work": bare_ms / max(1e-9, app_ms - use_case_ms),
        "response_bytes": len(canned),
        "rounds": rounds,
    }


async def _use_case_ms(settings: Any, docs: list[dict[str, str]], seconds: float) -> float:
    """The same question through ``AnswerQuestion`` alone (same fakes, same documents): the adapters' work."""
    from autbot.domain import limits
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import DocumentInput, SearchMode
    from autbot.domain.retrieval import RetrievalOptions
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.bootstrap.lifecycle import start
    from autbot.use_cases.answer import AnswerRequest
    from autbot.use_cases.ingest import IngestRequest

    container = build_container(settings)
    start(container)
    inputs = tuple(DocumentInput(id=d["id"], title=d["title"], text=d["text"]) for d in docs)
    container.ingest_documents().execute(IngestRequest(principal=ANONYMOUS, collection="kb", documents=inputs))
    answer = container.answer_question()
    request = AnswerRequest(
        principal=ANONYMOUS,
        collection="kb",
        question=QUESTION,
        retrieval=RetrievalOptions(mode=SearchMode(limits.DEFAULT_ANSWER_MODE)),
        caller="ip:127.0.0.1",
    )
    assert (await answer.execute(request)).citations
    n, begun = 0, time.perf_counter()
    while time.perf_counter() - begun < seconds:
        await answer.execute(request)
        n += 1
    elapsed = time.perf_counter() - begun
    container.shutdown_resources()
    return elapsed * 1000 / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 s instead of 5 of 3 s: a smoke test")
    add_out_argument(parser, "query_overhead")
    args = parser.parse_args()
    result = asyncio.run(_query_overhead(args.quick))
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}, indent=2))
    write_json(args.out, {**stamp(), "quick": args.quick, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
