"""Answer-path latency, each a ratio or a difference against a baseline measured in the same run.

- query: ``POST /v1/collections/kb/query`` (non-streamed) through the whole app over the fake adapters
  (hashing embedder, in-memory index, fake LLM) vs a bare Litestar handler that decodes the same
  ``QueryBody`` and returns a canned ``QueryResponse`` of the same shape; and ``AnswerQuestion`` alone
  through the container (same fakes, same documents), so the HTTP layer's share is visible. Raw ASGI
  calls in one event loop, interleaved rounds (the harness of ``bench/speed.py``'s overhead suite).
- ttfb: streaming time to the first ``token`` event of ``POST /v1/collections/kb/query`` (``stream: true``)
  against a real ``autbot serve`` process with the local models (ONNX MiniLM, Chroma, SmolLM2 through
  xllamacpp, llama.cpp threads as the settings default) on a free loopback port, vs the model's own time
  to its first token: the ``LanguageModel`` adapter called directly, in this process, on the messages
  AutBot builds for the same question (the use case's own prompt building over the same documents and
  embedder). Per question both are measured back to back (alternating which goes first); the headline is
  the p50 of the per-question difference.
- ttfb_upstream: the same against a real OpenAI-compatible server: llama.cpp's own HTTP server (through
  xllamacpp, ``tests.support.openai_server``, same GGUF) on loopback, AutBot with ``llm.backend = openai``
  pointed at it; the baseline is the server called directly (streamed, the same request body AutBot's
  adapter sends for the same question), time to its first content delta.

    uv run python bench/latency.py [--suite all|query|ttfb|ttfb_upstream] [--quick] [--questions N] [--max-tokens N]

Results: bench/results/latency.json (``--out`` to write elsewhere).
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
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.speed import FAKES, _asgi, _free_port, _lifespan  # noqa: E402

QUERY_PATH = "/v1/collections/kb/query"


# --- /query overhead --------------------------------------------------------------------------------
def _bare_query_app(canned: bytes) -> Any:
    import msgspec
    from litestar import Litestar, post

    from autbot.entrypoints.http.schemas.collections import QueryBody, QueryResponse

    response = msgspec.json.decode(canned, type=QueryResponse)

    @post(
        "/v1/collections/{collection:str}/query",
        status_code=200,
        signature_namespace={"QueryBody": QueryBody, "QueryResponse": QueryResponse},
    )
    async def query(collection: str, data: QueryBody) -> QueryResponse:
        return response

    return Litestar(route_handlers=[query], debug=False)


async def _rate(app: Any, body: bytes, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        status, _ = await _asgi(app, "POST", QUERY_PATH, body)
        assert status == 200, status
        n += 1
    return n / (time.perf_counter() - start)


QUESTION = "Where do penguins live?"


def _docs() -> list[dict[str, str]]:
    return [{"id": f"d{i}", "title": f"Doc {i}", "text": f"Penguins and glaciers, fact {i}. " * 8} for i in range(20)]


async def _query_overhead(quick: bool) -> dict[str, Any]:
    from autbot.entrypoints.http.app import create_app
    from autbot.entrypoints.settings import settings_from_dict

    tmp = tempfile.mkdtemp(prefix="autbot-bench-latency-")
    data: dict[str, Any] = {**FAKES, "storage": {"data_dir": tmp}, "logging": {"level": "WARNING"}}
    data["limits"] = {"query": "100000000/minute", "search": "100000000/minute"}
    settings = settings_from_dict(data)
    app = create_app(settings)
    task, inbox = await _lifespan(app)
    docs = _docs()
    status, _ = await _asgi(app, "POST", "/v1/collections/kb/documents", json.dumps({"documents": docs}).encode())
    assert status == 201, status
    body = json.dumps({"question": QUESTION}).encode()
    status, canned = await _asgi(app, "POST", QUERY_PATH, body)
    assert status == 200, (status, canned[:300])
    assert json.loads(canned)["citations"], "the fake answer cites nothing: the comparison would be unfair"
    bare = _bare_query_app(canned)
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
    use_case_ms = await _use_case_ms(settings, docs, seconds)
    app_ms = 1000 / app_rps
    return {
        "bare_rps": bare_rps,
        "app_rps": app_rps,
        "ratio_app_vs_bare": statistics.median(a / b for b, a in rounds),
        "bare_ms_per_request": 1000 / bare_rps,
        "app_ms_per_request": app_ms,
        "use_case_ms": use_case_ms,
        "http_layer_ms": app_ms - use_case_ms,
        "http_layer_share": (app_ms - use_case_ms) / app_ms,
        "ratio_without_fake_work": (1000 / bare_rps) / max(1e-9, app_ms - use_case_ms),
        "response_bytes": len(canned),
        "rounds": rounds,
    }


async def _use_case_ms(settings: Any, docs: list[dict[str, str]], seconds: float) -> float:
    """The same question through ``AnswerQuestion`` alone (same fakes, same documents): the adapters' work."""
    from autbot.domain import limits
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import DocumentInput, SearchMode
    from autbot.domain.retrieval import RetrievalOptions
    from autbot.entrypoints.bootstrap.container import build_container, start
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
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        await answer.execute(request)
        n += 1
    elapsed = time.perf_counter() - t
    container.shutdown_resources()
    return elapsed * 1000 / n


def bench_query(quick: bool, **_: Any) -> dict[str, Any]:
    return asyncio.run(_query_overhead(quick))


# --- streaming time to first byte -------------------------------------------------------------------
CITIES = ["Varnholt", "Quillmere", "Ostrevan", "Delmaris", "Kettleby", "Sorrowgate", "Brindlemoor", "Ashcombe"]
THINGS = ["lighthouse", "bell tower", "ferry", "observatory", "library", "bridge", "market", "mill", "canal", "fort"]


def _fact_docs(n: int) -> tuple[list[dict[str, str]], list[str]]:
    """Fictional facts (the model cannot know them): one document and one question each."""
    docs, questions = [], []
    for i in range(n):
        city, thing = CITIES[i % len(CITIES)], THINGS[(i * 3) % len(THINGS)]
        year = 1700 + 7 * i
        text = (
            f"The {thing} of {city} number {i} was built in {year} by the guild of {CITIES[(i + 3) % len(CITIES)]}. "
            f"It is painted {['red', 'green', 'blue', 'ochre'][i % 4]} and stands near the old harbour. "
            f"Visitors may enter it on the first Sunday of each month."
        )
        docs.append({"id": f"fact{i}", "title": f"{thing.title()} {i} of {city}", "text": text})
        questions.append(f"When was the {thing} of {city} number {i} built?")
    return docs, questions


def _say(text: str) -> None:
    print(f"ttfb: {text}", file=sys.stderr, flush=True)


def _serve(port: int, data_dir: str, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **(extra or {}),
        "AUTBOT_SERVER__PORT": str(port),
        "AUTBOT_STORAGE__DATA_DIR": data_dir,
        "AUTBOT_LIMITS__QUERY": "100000/minute",
        "AUTBOT_LIMITS__INGEST": "100000/minute",
        "AUTBOT_LOGGING__LEVEL": "WARNING",
    }
    code = "from autbot.entrypoints.cli import main; main(['serve'])"
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def _wait_ready(client: Any, proc: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    import httpx

    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"autbot serve exited with {proc.returncode}")
        try:
            if (await client.get("/ready")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("autbot serve was not ready in time")


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

    prompt, params, _ = await stream_answer._grounding.prepare(request)  # the use case's own prompt
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
    prompt, params, _ = await stream_answer._grounding.prepare(request)
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


def _start_upstream() -> tuple[subprocess.Popen[bytes], str]:
    """llama.cpp's OpenAI-compatible server (tests.support.openai_server) on a free port: (process, /v1 URL)."""
    from tests.support.openai_server import launch

    return launch(Path(tempfile.mkdtemp(prefix="autbot-bench-upstream-")) / "server.log")


async def _ttfb(questions_n: int, max_tokens: int, upstream: str | None = None) -> dict[str, Any]:
    import httpx

    from autbot.domain import limits
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import DocumentInput, SearchMode
    from autbot.domain.retrieval import RetrievalOptions
    from autbot.entrypoints.bootstrap.container import build_container, start
    from autbot.entrypoints.settings import settings_from_dict
    from autbot.use_cases.answer import AnswerRequest
    from autbot.use_cases.ingest import IngestRequest

    # An OpenAI-compatible llama.cpp server reuses a slot's cached prompt: the second of two calls with the
    # same question would skip the prompt. Against it each side gets a question of its own (same template).
    docs, questions = _fact_docs(questions_n * 2 if upstream else questions_n)
    pairs = [(questions[2 * i], questions[2 * i + 1]) for i in range(questions_n)] if upstream else None
    port = _free_port()
    llm_env: dict[str, str] = {}
    if upstream:
        llm_env = {
            "AUTBOT_LLM__BACKEND": "openai",
            "AUTBOT_LLM__OPENAI__BASE_URL": upstream,
            "AUTBOT_LLM__OPENAI__MODEL": "smollm2",
        }
    proc = _serve(port, tempfile.mkdtemp(prefix="autbot-bench-ttfb-server-"), llm_env)
    direct = httpx.AsyncClient(base_url=upstream, timeout=300) if upstream else None
    try:
        llm_settings = {"backend": "openai", "openai": {"base_url": upstream, "model": "smollm2"}} if upstream else {}
        settings = settings_from_dict(
            {
                "storage": {"data_dir": tempfile.mkdtemp(prefix="autbot-bench-ttfb-")},
                "logging": {"level": "WARNING"},
                "llm": llm_settings,
            }
        )
        container = build_container(settings)  # the same default local adapters as the server
        start(container)
        inputs = tuple(DocumentInput(id=d["id"], title=d["title"], text=d["text"]) for d in docs)
        container.ingest_documents().execute(IngestRequest(principal=ANONYMOUS, collection="kb", documents=inputs))
        stream_answer, llm = container.stream_answer(), container.llm()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            await _wait_ready(client, proc)
            _say("server ready")
            r = await client.post("/v1/collections/kb/documents", json={"documents": docs})
            assert r.status_code == 201, (r.status_code, r.text[:300])

            def request(q: str) -> AnswerRequest:
                options = RetrievalOptions(mode=SearchMode(limits.DEFAULT_ANSWER_MODE))
                return AnswerRequest(
                    principal=ANONYMOUS,
                    collection="kb",
                    question=q,
                    retrieval=options,
                    max_tokens=max_tokens,
                    temperature=0.0,
                )

            async def model_ttft(q: str) -> tuple[float, int]:
                if direct is not None:
                    return await _upstream_ttft_ms(stream_answer, llm, request(q), direct)
                return await _model_ttft_ms(stream_answer, llm, request(q))

            _say("documents ingested in both")
            warm = "Which guild built the old harbour?"  # warm-up both (first-call allocations, system prompt)
            await _server_ttfb_ms(client, warm, max_tokens)
            await model_ttft(warm)
            rows: list[dict[str, Any]] = []
            for i, (q, mq) in enumerate(pairs or [(q, q) for q in questions]):
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
                _say(f"{i + 1}/{questions_n}: model {model:.0f} ms, server {server:.0f} ms")
        container.shutdown_resources()
    finally:
        if direct is not None:
            await direct.aclose()
        proc.terminate()
        proc.wait(30)
    added = [r["server_ttfb_ms"] - r["model_ttft_ms"] for r in rows]
    return {
        "questions": len(rows),
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "model": "llama.cpp server (xllamacpp) on loopback, llm.backend = openai"
        if upstream
        else "in process (llm.backend = local)",
        "llama_cpp_threads": "2 (tests.support.openai_server)"
        if upstream
        else "settings default (llm.local.threads = 0: one per CPU)",
        "model_ttft_p50_ms": statistics.median(r["model_ttft_ms"] for r in rows),
        "server_ttfb_p50_ms": statistics.median(r["server_ttfb_ms"] for r in rows),
        "added_p50_ms": statistics.median(added),
        "added_min_ms": min(added),
        "added_max_ms": max(added),
        "same_prompt_tokens": sum(r["model_prompt_tokens"] == r["server_prompt_tokens"] for r in rows),
        "questions_differ": bool(upstream),
        "ratio_p50": statistics.median(r["server_ttfb_ms"] / r["model_ttft_ms"] for r in rows),
        "rows": rows,
    }


def bench_ttfb(quick: bool, questions: int | None = None, max_tokens: int = 8, **_: Any) -> dict[str, Any]:
    return asyncio.run(_ttfb(questions or (4 if quick else 20), max_tokens))


def bench_ttfb_upstream(quick: bool, questions: int | None = None, max_tokens: int = 8, **_: Any) -> dict[str, Any]:
    upstream, url = _start_upstream()
    try:
        return asyncio.run(_ttfb(questions or (4 if quick else 20), max_tokens, url))
    finally:
        upstream.terminate()
        upstream.wait(30)


SUITES = {"query": bench_query, "ttfb": bench_ttfb, "ttfb_upstream": bench_ttfb_upstream}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", choices=["all", *SUITES], default="all")
    parser.add_argument("--quick", action="store_true", help="shorter rounds, 4 questions: a smoke test")
    parser.add_argument("--questions", type=int, help="ttfb: questions (default 20; 4 with --quick)")
    parser.add_argument("--max-tokens", type=int, default=8, help="ttfb: tokens generated per answer")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latency.json")
    args = parser.parse_args()
    res: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_start": os.getloadavg(),
        "quick": args.quick,
    }
    for name, fn in SUITES.items():
        if args.suite in ("all", name):
            res[name] = fn(args.quick, questions=args.questions, max_tokens=args.max_tokens)
            shown = {k: v for k, v in res[name].items() if k not in ("rows", "rounds")}
            print(name, json.dumps(shown, indent=2), flush=True)
    res["load_average_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
