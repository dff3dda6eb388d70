"""The headline figures of a ``python -m bench`` run: one row per measurement, read from the suites' results.
A suite that failed or did not run reads '—'."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = tuple[str, str, str]
"""(measurement, value, what it is compared with)"""


def _get(res: Any, *path: Any) -> Any:
    for p in path:
        if not (isinstance(res, dict) and p in res):
            return None
        res = res[p]
    return res


def _fmt(v: Any, spec: str, unit: str = "") -> str:
    return "—" if v is None else format(v, spec) + unit


def _ratio(a: Any, b: Any) -> float | None:
    return a / b if a and b else None


def _ingest_search(r: dict[str, Any]) -> list[Row]:
    rows = [("ingestion / raw embedder", _fmt(_get(r, "ingest", "ratio_ingest_vs_raw_embedder"), ".2f"), "chunks/s")]
    for size, stores in (_get(r, "search", "sizes") or {}).items():
        for store, row in stores.items():
            p50, recall = f"{row['p50_ms']:.2f} ms", f"recall@10 {row['recall_at_10']:.3f} vs exact"
            rows.append((f"search p50, {int(size):,} chunks, {store}", p50, recall))
    return rows


def _job_fairness(r: dict[str, Any]) -> list[Row]:
    rows = []
    for mode in ("sync", "jobs"):
        s = _get(r, "summary", mode) or {}
        rows.append((f"answers while ingesting ({mode})", _fmt(s.get("answers_ratio"), ".2f"), "of idle; goal >= 0.5"))
        rows.append(
            (f"/search p99 while ingesting ({mode})", _fmt(s.get("search_p99_ms"), ".0f", " ms"), "goal <= 100 ms")
        )
        rows.append((f"ingestion with load ({mode})", _fmt(s.get("ingest_ratio"), ".2f"), "of alone; goal >= 0.4"))
    return rows


def _job_ingest(r: dict[str, Any]) -> list[Row]:
    return [("NFCorpus job / raw embedder", _fmt(_get(r, "ratio_job_vs_raw_embedder"), ".2f"), "chunks/s; goal >= 0.9")]


def _job_scale(r: dict[str, Any]) -> list[Row]:
    runs = _get(r, "runs") or []
    last = runs[-1] if runs else {}
    label = f"{last.get('workers', 'N')} job workers / N x one"
    return [(label, _fmt(last.get("ratio_to_n_times_one"), ".2f"), "docs/s, slow embedder, real Redis; goal >= 0.85")]


def _search_overhead(r: dict[str, Any]) -> list[Row]:
    ratio = _get(r, "variants", "default", "ratio_app_vs_bare")
    return [("/search app / bare handler", _fmt(ratio, ".2f"), "requests/s, fakes, raw ASGI")]


def _search_overhead_http(r: dict[str, Any]) -> list[Row]:
    ratio = _get(r, "ratio_app_vs_bare")
    return [("/search app / bare handler, served", _fmt(ratio, ".2f"), "requests/s through uvicorn, fakes")]


def _query_overhead(r: dict[str, Any]) -> list[Row]:
    share = _fmt(_get(r, "http_layer_share"), ".0%")
    return [("/query app / bare handler", _fmt(_get(r, "ratio_app_vs_bare"), ".2f"), f"requests/s; HTTP layer {share}")]


def _stream_first_token(r: dict[str, Any]) -> list[Row]:
    rows = []
    for key, label in (("local", "the model's"), ("upstream", "llama.cpp server's")):
        added, alone = _get(r, key, "added_p50_ms"), _get(r, key, "model_ttft_p50_ms")
        rows.append(
            (
                f"stream TTFB added over {label} first token",
                _fmt(added, ".0f", " ms"),
                f"p50; alone {_fmt(alone, '.0f')} ms",
            )
        )
    return rows


def _embed_batching(r: dict[str, Any]) -> list[Row]:
    ratio = _ratio(_get(r, "micro_batched_2ms", "per_s"), _get(r, "raw_concurrent", "per_s"))
    return [("micro-batching / raw embedder, 16 clients", _fmt(ratio, ".2f"), "queries/s")]


def _startup_memory(r: dict[str, Any]) -> list[Row]:
    rows = []
    for name, label in (("fakes", "fakes"), ("local_models", "local models")):
        ready, rss = _get(r, "startup", name, "ready_s"), _get(r, "startup", name, "rss_mb")
        rows.append((f"start-up to ready, {label}", _fmt(ready, ".1f", " s"), f"RSS once ready {_fmt(rss, '.0f')} MB"))
    after: dict[str, Any] = next((v for k, v in (_get(r, "rss") or {}).items() if k.endswith("(defaults)")), {})
    peak = f"peak {_fmt(after.get('peak_rss_mb'), '.0f')} MB; ingest, searches, answers"
    rows.append(("RSS after a load, default server", _fmt(after.get("rss_after_query_mb"), ".0f", " MB"), peak))
    return rows


def _observability(r: dict[str, Any]) -> list[Row]:
    minutes = f"over {_fmt(_get(r, 'rss', 'minutes'), 'g')} min"
    return [
        ("RSS max under a mixed load (fakes)", _fmt(_get(r, "rss", "rss_max_mb"), ".0f", " MB"), minutes),
        ("observability on / off", _fmt(_get(r, "cost", "ratio_on_off"), ".2f"), "requests/s, 16 clients"),
    ]


def _relay(r: dict[str, Any]) -> list[Row]:
    added = _get(r, "results", "AutBot relay", "added_p50_ms")
    return [("relay added latency", _fmt(added, ".1f", " ms"), "p50 over the upstream called directly")]


def _http_parsers(r: dict[str, Any]) -> list[Row]:
    ratio = _get(r, "results", "POST /v1/collections/kb/search", "ratio_httptools_h11", "requests_per_s")
    return [("HTTP parser httptools / h11", _fmt(ratio, ".2f"), "requests/s, /search")]


def _answers(r: dict[str, Any]) -> list[Row]:
    rows = []
    for part in ("fictional", "basic"):
        right, n = _get(r, f"{part}_right"), _get(r, f"{part}_questions")
        rows.append((f"answers right, {part} facts", "—" if right is None else f"{right}/{n}", "default local model"))
    return rows


def _retrieval(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"eval NDCG@10, {mode}",
            _fmt(_get(rep, "quality", "ndcg_at_10"), ".4f"),
            f"{_get(rep, 'documents')} man pages",
        )
        for mode, rep in (_get(r, "modes") or {}).items()
    ]


def _condense(r: dict[str, Any]) -> list[Row]:
    right, n = _get(r, "right_document_first", "AutBot's rule"), _get(r, "conversations")
    alone = _get(r, "right_document_first", "follow-up alone")
    value = "—" if right is None else f"{right}/{n}"
    return [("condensed follow-ups, right document first", value, f"the follow-up alone {alone}/{n}")]


def _rate_limiter(r: dict[str, Any]) -> list[Row]:
    per_hit = {(x["strategy"], x["callers"], x["variant"][:6]): x["cpu_us_per_hit"] for x in _get(r, "rows") or []}
    ratio = _ratio(per_hit.get(("moving-window", 1000, "limits")), per_hit.get(("moving-window", 1000, "InProc")))
    return [("rate limiter limits / in-process CPU per hit", _fmt(ratio, ".1f"), "moving window, 1,000 callers")]


def _html_parser(r: dict[str, Any]) -> list[Row]:
    shape = "'<a ' x 4000 (12 KB)"
    cells = _get(r, "seconds", shape) or {}
    old, new = cells.get("html.parser (stdlib)"), cells.get("lexbor (selectolax)")
    value = "—" if old is None or new is None else f"{old} / {new}"
    return [("HTML extraction on hostile markup, stdlib / Lexbor seconds", value, shape)]


def _weaviate_tenancy(r: dict[str, Any]) -> list[Row]:
    layouts = _get(r, "layouts") or {}
    ratio = _ratio(
        _get(layouts, "tenant per AutBot collection", "p50_ms"),
        _get(layouts, "collection per AutBot collection", "p50_ms"),
    )
    return [("Weaviate search p50, tenants / collections", _fmt(ratio, ".2f"), "one node, same data and queries")]


def _mcp_overhead(r: dict[str, Any]) -> list[Row]:
    rest = _fmt(_get(r, "rest", "p50_ms"), ".2f", " ms")
    rows = [(f"MCP search p50 ({label})", _fmt(_get(r, key, "p50_ms"), ".2f", " ms"), f"REST: {rest}")
            for key, label in (("mcp", "2026-07-28"), ("mcp_legacy", "handshake"))]  # fmt: skip
    return [*rows, ("first MCP call (SDK import)", _fmt(_get(r, "first_mcp_call_ms"), ".0f", " ms"), "once a process")]


def _acl_filter(r: dict[str, Any]) -> list[Row]:
    rows = []
    for backend, label in (("chroma", "embedded store"), ("memory", "fake")):
        for mode in ("vector", "hybrid"):
            row = _get(r, "backends", backend, mode) or {}
            without, with_ = _fmt(row.get("p50_ms_without"), ".2f", " ms"), row.get("p50_ms_with")
            value = _fmt(with_, ".2f", " ms")
            rows.append((f"search p50 with ACL filter, {label}, {mode}", value, f"without: {without}"))
    return rows


HEADLINES: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "ingest_search": _ingest_search,
    "job_fairness": _job_fairness,
    "job_ingest": _job_ingest,
    "job_scale": _job_scale,
    "search_overhead": _search_overhead,
    "search_overhead_http": _search_overhead_http,
    "query_overhead": _query_overhead,
    "acl_filter": _acl_filter,
    "mcp_overhead": _mcp_overhead,
    "stream_first_token": _stream_first_token,
    "embed_batching": _embed_batching,
    "startup_memory": _startup_memory,
    "relay": _relay,
    "http_parsers": _http_parsers,
    "observability": _observability,
    "answers": _answers,
    "retrieval": _retrieval,
    "condense": _condense,
    "html_parser": _html_parser,
    "rate_limiter": _rate_limiter,
    "weaviate_tenancy": _weaviate_tenancy,
}
"""Each suite's rows, by suite name."""


def summary(suites: dict[str, dict[str, Any]], names: list[str]) -> list[Row]:
    """The rows of the suites ``names`` (in that order) from their run entries (``result``: the suite's JSON)."""
    rows: list[Row] = []
    for name in names:
        try:
            rows += HEADLINES[name](_get(suites, name, "result") or {})
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:  # a suite's JSON changed shape
            rows.append((f"{name}: summary failed", f"{type(e).__name__}: {e}", ""))
    return rows
