"""``autbot eval DATASET_DIR``: retrieval quality (NDCG@10, Recall@10/100, MRR@10) and latency of the real
ingestion and search paths on a dataset in the BEIR layout, in this process or against a server; with
``--server-side``, the server evaluates the collection's stored golden set."""

from __future__ import annotations

import argparse
import json
import os
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from autbot.domain.limits import DEFAULT_SEARCH_MODE


def run(args: argparse.Namespace) -> int:
    from autbot.domain.errors import ConfigurationError
    from autbot.domain.model import CollectionName, SearchMode
    from autbot.entrypoints.evaluation.dataset import load_beir
    from autbot.entrypoints.evaluation.runner import EvalOptions, run_eval

    if args.url and (args.rerank or args.min_score is not None):
        raise ConfigurationError("--rerank and --min-score work in-process only: the search API has neither.")
    if args.server_side:
        return _server_side(args)
    if args.dataset is None:
        raise ConfigurationError("Give a DATASET directory (or --server-side with --url and --collection).")
    dataset = load_beir(args.dataset, split=args.split, limit_queries=args.limit_queries)
    collection = CollectionName(args.collection or f"eval-{uuid.uuid4().hex[:12]}").value
    options = EvalOptions(
        collection=collection,
        mode=SearchMode(args.mode),
        alpha=args.alpha,
        rerank=args.rerank,
        min_vector_score=args.min_score,
        progress=not args.json,
    )
    target = _target(args)
    try:
        report = run_eval(target, dataset, options)
        if args.collection is None:  # a scratch collection: removed afterwards
            target.drop(collection)
    finally:
        target.close()
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print(_text(asdict(report)))
    return 0


def _server_side(args: argparse.Namespace) -> int:
    from autbot.domain.errors import ConfigurationError
    from autbot.domain.model import CollectionName, SearchMode
    from autbot.entrypoints.evaluation.dataset import load_beir
    from autbot.entrypoints.evaluation.server_side import evaluate_on_server, text_report

    if not args.url or not args.collection:
        raise ConfigurationError("--server-side needs --url and --collection: the server evaluates that collection.")
    dataset = (
        None if args.dataset is None else load_beir(args.dataset, split=args.split, limit_queries=args.limit_queries)
    )
    target = _target(args)
    try:
        collection = CollectionName(args.collection).value
        mode = SearchMode(args.mode)
        body = evaluate_on_server(target, collection, dataset=dataset, mode=mode, progress=not args.json)
    finally:
        target.close()
    print(json.dumps(body, indent=2) if args.json else text_report(body))
    return 0


def _target(args: argparse.Namespace) -> Any:
    from autbot.entrypoints.evaluation.targets import HttpTarget, InProcessTarget

    if args.url:
        return HttpTarget(args.url, api_key=os.environ.get("AUTBOT_API_KEY"), timeout_s=args.timeout)
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.settings import load_settings

    overrides: dict[str, Any] = {}
    if args.fusion:
        overrides["search"] = {"fusion": args.fusion}
    return InProcessTarget(build_container(load_settings(args.profile, overrides=overrides)))


def _text(r: dict[str, Any]) -> str:
    q = r["quality"]
    ingest = f"{r['ingest_s']:.1f} s" if r["ingest_s"] is not None else "reused (already ingested)"
    alpha = "" if r["alpha"] is None else f", alpha {r['alpha']}"
    rerank = ", reranked" if r["rerank"] else ""
    floor = "" if r["min_vector_score"] is None else f", floor {r['min_vector_score']}"
    return "\n".join(
        [
            f"dataset     {r['dataset']}: {r['documents']} documents, {q['queries']} judged queries",
            f"search      mode {r['mode']}{alpha}{rerank}{floor}; collection {r['collection']}",
            f"NDCG@10     {q['ndcg_at_10']:.4f}",
            f"Recall@10   {q['recall_at_10']:.4f}",
            f"Recall@100  {q['recall_at_100']:.4f}",
            f"MRR@10      {q['mrr_at_10']:.4f}",
            f"ingestion   {ingest}",
            f"search      p50 {r['search_p50_ms']:.1f} ms, p99 {r['search_p99_ms']:.1f} ms",
        ]
    )


def add_parser(sub: Any) -> None:
    e = sub.add_parser("eval", help="measure retrieval quality and speed on a BEIR-layout dataset")
    e.add_argument(
        "dataset",
        type=Path,
        nargs="?",
        help="directory with corpus.jsonl, queries.jsonl and qrels/<split>.tsv (optional with --server-side)",
    )
    e.add_argument("--mode", choices=["vector", "hybrid", "keyword"], default=DEFAULT_SEARCH_MODE)
    e.add_argument("--alpha", type=float, help="hybrid: weight of the vector side (default: the configured one)")
    e.add_argument("--rerank", action="store_true", help="rerank the hits with the configured reranker")
    e.add_argument("--min-score", type=float, help="in-process: the answer path's relevance floor (cosine), e.g. 0.2")
    e.add_argument("--json", action="store_true", help="print the report as JSON (no progress bars)")
    e.add_argument("--collection", help="use (and keep) this collection; a full one is reused, not re-ingested")
    e.add_argument("--limit-queries", type=int, metavar="N", help="evaluate the first N judged queries")
    e.add_argument("--split", default="test", help="qrels file to read (default: test)")
    e.add_argument("--url", help="evaluate a running server through its HTTP API (key from $AUTBOT_API_KEY)")
    e.add_argument(
        "--server-side",
        action="store_true",
        help="with --url and --collection: the server runs the collection's golden set (a DATASET given becomes "
        "the golden set first, its corpus ingested unless the collection holds it)",
    )
    e.add_argument("--timeout", type=float, default=300.0, help="seconds per HTTP request")
    e.add_argument("--profile", help="in-process: bundled profile name or .toml path (default: local)")
    e.add_argument("--fusion", choices=["relative_score", "reciprocal_rank"], help="in-process: hybrid fusion")
    e.set_defaults(func=run)
