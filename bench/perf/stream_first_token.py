"""Streaming time to the first token: ``POST /v1/collections/kb/query`` with ``stream: true`` against a real
``autbot serve`` on a free loopback port, timed to its first ``token`` event, against the model's own time to
its first token on the same prompt, in the same run.

- local: the server with the default local models (ONNX MiniLM, Chroma, SmolLM2 through xllamacpp, llama.cpp
  threads as the settings default); the baseline is the ``LanguageModel`` adapter called directly, in this
  process, on the messages AutBot builds for the same question (the use case's own prompt building over the
  same documents and embedder). Per question both are measured back to back, alternating which goes first.
- upstream: the same against a real OpenAI-compatible server, llama.cpp's own HTTP server (through
  xllamacpp, ``tests.support.openai_server``, same GGUF) on loopback, AutBot with ``llm.backend = openai``
  pointed at it; the baseline is that server called directly (streamed, the request body AutBot's adapter
  sends for the same question), timed to its first content delta. It reuses a slot's cached prompt, so each
  side gets a question of its own (same template).

The headline is the p50 of the per-question difference.

    uv run python -m bench.perf.stream_first_token [--suite all|local|upstream] [--quick] [--questions N]

Results: bench/results/stream_first_token.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.processes import free_port, stop, wait_http

from bench._support.corpus import fictional_facts
from bench._support.results import add_out_argument, stamp, write_json
from bench._support.server import serve_argv, start

QUERY_PATH = "/v1/collections/kb/query"
WARM_UP = "Which guild built the old harbour?"
"""Asked of both sides first (first-call allocations, the system prompt)."""


def _say(text: str) -> None:
    print(f"stream_first_token: {text}", file=sys.stderr, flush=True)


def _launch(port: int, tmp: Path, llm_env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``autbot serve`` with the default local models (``llm_env``: another LLM backend), started."""
    env = {
        **os.environ,
        **llm_env,
        "AUTBOT_STORAGE__DATA_DIR": str(tmp / "data"),
        "AUTBOT_LIMITS__QUERY": "100000/minute",
        "AUTBOT_LIMITS__INGEST": "100000/minute",
        "AUTBOT_LOGGING__LEVEL": "WARNING",
    }
    return start(serve_argv(port), env, tmp / "server.log")


async def _server_ttfb_ms(client: Any, question: str, max_tokens: int) -> tuple[float, int]:
    """Milliseconds to the first ``token`` event, and the prompt tokens the ``done`` event reports."""
    body = {"question": question, "stream": True, "temperature": 0, "max_tokens": max_tokens}
    t = time.perf_counter()
    first: float | None = None
    kind, prompt_tokens = "", -1
    async with client.stream("POST", QUERY_PATH, json=body) as r:
        assert r.status_code == 200, r.status_code
        async for line in r.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:].strip()
                if first is None and kind == "token":
                    first = (time.perf_counter() - t) * 1000
                if kind == "error":
                    raise RuntimeError(f"the stream failed: {line}")
            elif line.startswith("data: ") and kind == "done":
                prompt_tokens = int(json.loads(line[6:])["usage"]["prompt_tokens"])
    if first is None:
        raise RuntimeError("no token event in the stream")
    return first, prompt_tokens


async def _model_ttft_ms(stream_answer: Any, llm: Any, request: Any) -> tuple[float, int]:
    """The adapter alone, on the messages the use case builds for this question (built before the clock);
    and the prompt tokens it reports (the same as the server's when both built the same prompt)."""
    from contextlib import aclosing

    prompt, params, _ = await stream_answer._grounding.prepare(request, field="question")  # the use case's own prompt
    assert prompt.citations, "nothing retrieved: the model would not be called"
    t = time.perf_counter()
    first: float | None = None
    prompt_tokens = -1
    async with aclosing(llm.stream(prompt.messages, params)) as deltas:
        async for delta in deltas:  # to the end, as the server's stream does: the next call starts idle
            if delta.text and first is None:
                first = (time.perf_counter() - t) * 1000
            if delta.usage is not None:
                prompt_tokens = delta.usage.prompt_tokens
    if first is None:
        raise RuntimeError("the model produced no text")
    return first, prompt_tokens


async def _upstream_ttft_ms(stream_answer: Any, llm: Any, request: Any, client: Any) -> tuple[float, int]:
    """The OpenAI-compatible server called directly (streamed) with the body AutBot's adapter sends for the
    messages the use case builds for this question: milliseconds to the first content delta, prompt tokens."""
    prompt, params, _ = await stream_answer._grounding.prepare(request, field="question")
    assert prompt.citations, "nothing retrieved: the model would not be called"
    body = llm._body(prompt.messages, params, stream=True)
    t = time.perf_counter()
    first: float | None = None
    prompt_tokens = -1
    async with client.stream("POST", "/chat/completions", json=body) as r:
        assert r.status_code == 200, r.status_code
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if first is None and any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or []):
                first = (time.perf_counter() - t) * 1000
            if chunk.get("usage"):
                prompt_tokens = int(chunk["usage"]["prompt_tokens"])
    if first is None:
        raise RuntimeError("the upstream produced no text")
    return first, prompt_tokens


def _in_process(upstream: str | None, docs: list[dict[str, str]]) -> Any:
    """A container with the server's adapters (the local model, or the upstream), the documents ingested."""
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import DocumentInput
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.bootstrap.lifecycle import start as start_container
    from autbot.entrypoints.settings import settings_from_dict
    from autbot.use_cases.ingest import IngestRequest

    llm = {"backend": "openai", "openai": {"base_url": upstream, "model": "smollm2"}} if upstream else {}
    data_dir = tempfile.mkdtemp(prefix="autbot-bench-ttfb-")
    settings = settings_from_dict({"storage": {"data_dir": data_dir}, "logging": {"level": "WARNING"}, "llm": llm})
    container = build_container(settings)  # the same default local adapters as the server
    start_container(container)
    inputs = tuple(DocumentInput(id=d["id"], title=d["title"], text=d["text"]) for d in docs)
    container.ingest_documents().execute(IngestRequest(principal=ANONYMOUS, collection="kb", documents=inputs))
    return container


def _model_side(container: Any, direct: Any, max_tokens: int) -> Any:
    """The baseline for one question: the adapter in process, or the upstream called directly."""
    from autbot.domain import limits
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import SearchMode
    from autbot.domain.retrieval import RetrievalOptions
    from autbot.use_cases.answer import AnswerRequest

    stream_answer, llm = container.stream_answer(), container.llm()

    async def ttft(question: str) -> tuple[float, int]:
        request = AnswerRequest(
            principal=ANONYMOUS,
            collection="kb",
            question=question,
            retrieval=RetrievalOptions(mode=SearchMode(limits.DEFAULT_ANSWER_MODE)),
            max_tokens=max_tokens,
            temperature=0.0,
        )
        if direct is not None:
            return await _upstream_ttft_ms(stream_answer, llm, request, direct)
        return await _model_ttft_ms(stream_answer, llm, request)

    return ttft


async def _pairs(client: Any, model_ttft: Any, pairs: list[tuple[str, str]], max_tokens: int) -> list[dict[str, Any]]:
    """Per (server question, model question): both sides back to back, alternating which goes first."""
    await _server_ttfb_ms(client, WARM_UP, max_tokens)
    await model_ttft(WARM_UP)
    rows: list[dict[str, Any]] = []
    for i, (q, mq) in enumerate(pairs):
        if i % 2 == 0:
            model, model_prompt = await model_ttft(mq)
            server, server_prompt = await _server_ttfb_ms(client, q, max_tokens)
        else:
            server, server_prompt = await _server_ttfb_ms(client, q, max_tokens)
            model, model_prompt = await model_ttft(mq)
        rows.append(
            {
                "question": q,
                "model_question": mq,
                "model_ttft_ms": model,
                "server_ttfb_ms": server,
                "model_prompt_tokens": model_prompt,
                "server_prompt_tokens": server_prompt,
            }
        )
        _say(f"{i + 1}/{len(pairs)}: model {model:.0f} ms, server {server:.0f} ms")
    return rows


async def _ttfb(questions_n: int, max_tokens: int, upstream: str | None = None) -> list[dict[str, Any]]:
    import httpx

    docs, questions = fictional_facts(questions_n * 2 if upstream else questions_n)
    pairs = [(questions[2 * i], questions[2 * i + 1]) for i in range(questions_n)] if upstream else None
    port, tmp = free_port(), Path(tempfile.mkdtemp(prefix="autbot-bench-ttfb-server-"))
    llm_env: dict[str, str] = {}
    if upstream:
        llm_env = {
            "AUTBOT_LLM__BACKEND": "openai",
            "AUTBOT_LLM__OPENAI__BASE_URL": upstream,
            "AUTBOT_LLM__OPENAI__MODEL": "smollm2",
        }
    proc = _launch(port, tmp, llm_env)  # loads its models while this process loads its own
    direct = httpx.AsyncClient(base_url=upstream, timeout=300) if upstream else None
    try:
        container = _in_process(upstream, docs)
        wait_http(f"http://127.0.0.1:{port}/ready", timeout=300, proc=proc, log=tmp / "server.log")
        _say("server ready")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            r = await client.post("/v1/collections/kb/documents", json={"documents": docs})
            assert r.status_code == 201, (r.status_code, r.text[:300])
            _say("documents ingested in both")
            model_ttft = _model_side(container, direct, max_tokens)
            rows = await _pairs(client, model_ttft, pairs or [(q, q) for q in questions], max_tokens)
        container.shutdown_resources()
    finally:
        if direct is not None:
            await direct.aclose()
        stop(proc, timeout=30)
    return rows


def _summary(rows: list[dict[str, Any]], max_tokens: int, upstream: bool) -> dict[str, Any]:
    added = [r["server_ttfb_ms"] - r["model_ttft_ms"] for r in rows]
    model = "llama.cpp server (xllamacpp) on loopback, llm.backend = openai" if upstream else "in process (local)"
    threads = "2 (tests.support.openai_server)" if upstream else "settings default (llm.local.threads = 0)"
    return {
        "questions": len(rows),
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "model": model,
        "llama_cpp_threads": threads,
        "model_ttft_p50_ms": statistics.median(r["model_ttft_ms"] for r in rows),
        "server_ttfb_p50_ms": statistics.median(r["server_ttfb_ms"] for r in rows),
        "added_p50_ms": statistics.median(added),
        "added_min_ms": min(added),
        "added_max_ms": max(added),
        "same_prompt_tokens": sum(r["model_prompt_tokens"] == r["server_prompt_tokens"] for r in rows),
        "questions_differ": upstream,
        "ratio_p50": statistics.median(r["server_ttfb_ms"] / r["model_ttft_ms"] for r in rows),
        "rows": rows,
    }


def bench_local(questions: int, max_tokens: int) -> dict[str, Any]:
    return _summary(asyncio.run(_ttfb(questions, max_tokens)), max_tokens, upstream=False)


def bench_upstream(questions: int, max_tokens: int) -> dict[str, Any]:
    """Against llama.cpp's OpenAI-compatible server (tests.support.openai_server) on a free port."""
    from tests.support.openai_server import launch

    upstream, url = launch(Path(tempfile.mkdtemp(prefix="autbot-bench-upstream-")) / "server.log")
    try:
        return _summary(asyncio.run(_ttfb(questions, max_tokens, url)), max_tokens, upstream=True)
    finally:
        stop(upstream, timeout=30)


SUITES = {"local": bench_local, "upstream": bench_upstream}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=["all", *SUITES], default="all")
    parser.add_argument("--quick", action="store_true", help="4 questions: a smoke test")
    parser.add_argument("--questions", type=int, help="questions (default 20; 4 with --quick)")
    parser.add_argument("--max-tokens", type=int, default=8, help="tokens generated per answer")
    add_out_argument(parser, "stream_first_token")
    args = parser.parse_args()
    res: dict[str, Any] = {**stamp(), "quick": args.quick}
    for name, fn in SUITES.items():
        if args.suite in ("all", name):
            res[name] = fn(args.questions or (4 if args.quick else 20), args.max_tokens)
            print(name, json.dumps({k: v for k, v in res[name].items() if k != "rows"}, indent=2), flush=True)
    res["load_average_at_end"] = os.getloadavg()
    write_json(args.out, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
