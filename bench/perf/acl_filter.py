"""The document access filter's cost on search: ``SearchChunks`` (what ``/search`` runs after the HTTP layer)
over a collection where a third of the documents are open, a third are for group ``finance`` and a third for
group ``legal``, asked by an admin caller (no filter) and by a caller in ``finance`` (the filter pushed into the
index's query), in interleaved rounds in one run, per index (the embedded Chroma + SQLite FTS store, the
in-memory fake) and search mode. Reports each side's p50 and their ratio.

    uv run python -m bench.perf.acl_filter [--quick]

Results: bench/results/acl_filter.json (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from typing import Any

from bench._support.corpus import corpus, queries
from bench._support.results import add_out_argument, stamp, write_json
from bench._support.server import fake_settings

BACKENDS = ("chroma", "memory")
MODES = ("vector", "hybrid")


def _callers() -> dict[str, Any]:
    from autbot.domain.auth import Principal, Scope

    return {
        "admin (no filter)": Principal(name="root", scopes=frozenset({Scope.ADMIN})),
        "finance (filter)": Principal(name="bench", scopes=frozenset({Scope.QUERY}), groups=frozenset({"finance"})),
    }


def _documents(n_docs: int) -> tuple[Any, ...]:
    from dataclasses import replace

    from autbot.domain.access import AccessList

    lists = (None, AccessList(groups=frozenset({"finance"})), AccessList(groups=frozenset({"legal"})))
    return tuple(replace(d, access=lists[i % 3]) for i, d in enumerate(corpus(n_docs)))


def _run(backend: str, n_docs: int, rounds: int, per_round: int) -> dict[str, Any]:
    from autbot.domain.auth import ANONYMOUS
    from autbot.domain.model import SearchMode
    from autbot.domain.retrieval import RetrievalOptions
    from autbot.entrypoints.bootstrap.container import build_container, start
    from autbot.use_cases.ingest import IngestRequest
    from autbot.use_cases.search import SearchRequest

    settings = fake_settings(tempfile.mkdtemp(prefix="autbot-bench-acl-"), {}, index={"backend": backend})
    container = build_container(settings)
    start(container)
    ingest = container.ingest_documents()
    docs = _documents(n_docs)
    for i in range(0, len(docs), 50):
        ingest.execute(IngestRequest(principal=ANONYMOUS, collection="kb", documents=docs[i : i + 50]))
    search, asked = container.search_chunks(), queries(per_round)
    out: dict[str, Any] = {}
    for mode in MODES:
        times: dict[str, list[float]] = {name: [] for name in _callers()}
        for _ in range(rounds):
            for name, principal in _callers().items():  # interleaved: each round asks both callers
                for q in asked:
                    options = RetrievalOptions(mode=SearchMode(mode), top_k=10)
                    begun = time.perf_counter()
                    hits = search.execute(
                        SearchRequest(principal=principal, collection="kb", query=q, retrieval=options)
                    )
                    times[name].append((time.perf_counter() - begun) * 1000)
                    assert len(hits) == 10, (name, len(hits))  # top_k stays full under the filter
        p50 = {name: statistics.median(t) for name, t in times.items()}
        without, with_ = p50["admin (no filter)"], p50["finance (filter)"]
        out[mode] = {"p50_ms_without": without, "p50_ms_with": with_, "ratio_with_vs_without": with_ / without}
    container.shutdown_resources()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 documents, 2 rounds: a smoke test")
    add_out_argument(parser, "acl_filter")
    args = parser.parse_args()
    n_docs, rounds, per_round = (300, 2, 20) if args.quick else (3000, 5, 40)
    results = {backend: _run(backend, n_docs, rounds, per_round) for backend in BACKENDS}
    print(json.dumps(results, indent=2))
    write_json(args.out, {**stamp(), "quick": args.quick, "documents": n_docs, "backends": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
