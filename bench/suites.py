"""Every benchmark suite: the script that runs it, one line of what it measures, its quick options.

``python -m bench`` runs them in this order (perf, then quality, then studies); each script also runs alone
(``python -m bench.perf.relay``) and writes its result to ``bench/results/<name>.json`` or to ``--out``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    """Also the script's module under its group, and its result file's name."""
    group: str
    """``perf`` (speed and memory), ``quality`` (answers and retrieval) or ``studies`` (one-off design choices)."""
    what: str
    quick: tuple[str, ...] | None
    """The script's arguments for a quick run (a smoke test); None: the suite runs in the full run only."""
    full: tuple[str, ...]
    """The script's arguments for a full run."""
    timeout_s: tuple[float, float]
    """(quick, full) seconds before the suite is stopped."""

    @property
    def module(self) -> str:
        return f"bench.{self.group}.{self.name}"

    def args(self, quick: bool) -> tuple[str, ...]:
        return (self.quick or ()) if quick else self.full


QUICK = ("--quick",)
SUITES: tuple[Suite, ...] = (
    Suite(
        "ingest_search",
        "perf",
        "ingestion vs the raw embedder; search latency and recall@10 by corpus size, Chroma vs Weaviate",
        ("--quick", "--no-weaviate"),
        (),
        (300, 3600),
    ),
    Suite(
        "job_fairness",
        "perf",
        "searches 10/s + 2 askers + 2 ingesters: answers, /search p99, ingestion rate; sync routes vs jobs",
        QUICK,
        (),
        (600, 1800),
    ),
    Suite(
        "job_ingest",
        "perf",
        "BEIR NFCorpus through one job on autbot serve vs the raw embedder on the same chunks",
        QUICK,
        (),
        (900, 3600),
    ),
    Suite(
        "job_scale",
        "perf",
        "N job workers on one real Redis, embedder slowed on purpose: throughput vs N x one worker",
        QUICK,
        (),
        (300, 900),
    ),
    Suite(
        "search_overhead", "perf", "/search through the app vs a bare handler (raw ASGI, fakes)", QUICK, (), (180, 600)
    ),
    Suite(
        "search_overhead_http",
        "perf",
        "/search app vs bare handler through uvicorn, Go load generator (needs go)",
        ("--rounds", "2", "--seconds", "1"),
        (),
        (240, 600),
    ),
    Suite(
        "query_overhead", "perf", "/query through the app vs a bare handler (raw ASGI, fakes)", QUICK, (), (180, 600)
    ),
    Suite(
        "stream_first_token",
        "perf",
        "streamed /query's first token vs the model's own (local model; llama.cpp's server)",
        QUICK,
        (),
        (600, 1800),
    ),
    Suite(
        "acl_filter",
        "perf",
        "search p50 with and without the document access filter (embedded store and fake), same run",
        QUICK,
        (),
        (300, 1200),
    ),
    Suite(
        "mcp_overhead",
        "perf",
        "an MCP search tool call (official client SDK) vs the same REST search, one server, same run",
        ("--rounds", "1", "--calls", "10"),
        (),
        (180, 600),
    ),
    Suite("embed_batching", "perf", "query embeddings, 16 callers: raw ONNX vs micro-batching", QUICK, (), (180, 600)),
    Suite(
        "startup_memory",
        "perf",
        "start-up to /ready and RSS once ready; RSS after a load per memory setting (full run only)",
        ("--suite", "startup", "--quick"),
        (),
        (300, 1800),
    ),
    Suite(
        "relay",
        "perf",
        "OpenAI-compatible relay's added latency and CPU against a fake upstream called directly",
        ("--requests", "300", "--rounds", "2"),
        ("--repeat", "3"),
        (240, 1200),
    ),
    Suite(
        "http_parsers",
        "perf",
        "uvicorn's HTTP parsers under autbot serve, h11 vs httptools",
        ("--requests", "300", "--rounds", "2"),
        (),
        (240, 1200),
    ),
    Suite(
        "observability",
        "perf",
        "logs, metrics and traces on vs off; RSS under a mixed load (10 minutes in the full run)",
        ("--seconds", "3", "--warmup", "1", "--rounds", "1", "--minutes", "0.5"),
        (),
        (300, 1800),
    ),
    Suite(
        "answers",
        "quality",
        "answers of the default local model: known and invented facts, off-topic questions",
        (),
        (),
        (420, 1200),
    ),
    Suite(
        "retrieval",
        "quality",
        "autbot eval on the man-page set, NDCG@10 per search mode (300 pages quick, 2,000 full)",
        QUICK,
        (),
        (1200, 3600),
    ),
    Suite(
        "condense",
        "quality",
        "follow-ups condensed by the local model: is the right document retrieved",
        None,
        (),
        (0, 900),
    ),
    Suite(
        "html_parser",
        "studies",
        "HTML text extraction on hostile and ordinary markup: stdlib html.parser vs Lexbor (vs html5-parser)",
        ("--repeat", "1", "--cap", "20", "--shapes", "ordinary,'<a ',<!["),
        (),
        (300, 1200),
    ),
    Suite(
        "rate_limiter",
        "studies",
        "in-memory rate limiter CPU per hit: limits' storage vs InProcessRateLimiter",
        QUICK,
        (),
        (180, 600),
    ),
    Suite(
        "weaviate_tenancy",
        "studies",
        "Weaviate layout: a collection per AutBot collection vs one tenant each",
        None,
        (),
        (0, 1800),
    ),
)
