"""Ingestion throughput and search latency, each against a baseline measured in the same run.

- ingest: ingestion (split + embed + write to the embedded store + registry) against the raw embedder's
  throughput on the same chunk texts; and re-ingesting 50 unchanged documents.
- search: latency p50/p99 (top-10) by corpus size (default 10k and 100k chunks): the embedded store
  (Chroma) vs Weaviate (one node on free loopback ports), same vectors, same queries; recall@10 against
  exact brute force (numpy), which is also the latency baseline.

    uv run python -m bench.perf.ingest_search [--part all|ingest|search] [--quick] [--sizes N,N] [--no-weaviate]

Results are printed as Markdown and written to bench/results/ingest_search.json (``--out`` to write
elsewhere); ``--part`` keeps the other part's figures from that file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from tests.support.weaviate import WeaviateNodes

from autbot.adapters.chunk_index.chroma import ChromaChunkIndex
from autbot.adapters.embedders.catalogue import StaticEmbedderCatalogue
from autbot.adapters.embedders.onnx import OnnxEmbedder
from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.adapters.registry.sqlite import SqliteDocumentRegistry
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain.auth import ANONYMOUS
from autbot.domain.ids import chunk_id
from autbot.domain.model import Chunk, ChunkQuery
from autbot.ports.chunk_index import ChunkIndex
from autbot.use_cases.ingest import IngestDocuments, IngestRequest
from bench._support.corpus import WORDS, corpus
from bench._support.measure import percentile
from bench._support.results import add_out_argument, stamp, write_json


def bench_ingest(n_docs: int) -> dict[str, Any]:
    docs = corpus(n_docs)
    splitter = LlamaIndexTextSplitter(chunk_size=256, chunk_overlap=32)
    texts = [t for d in docs for t in splitter.split(d.text)]
    embedder = OnnxEmbedder(batch_size=32)
    embedder.embed(texts[:64])  # warm-up
    t = time.perf_counter()
    embedder.embed(texts)
    raw_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        index = ChromaChunkIndex(path=tmp)
        registry = SqliteDocumentRegistry(Path(tmp) / "registry.sqlite3")
        ingest = IngestDocuments(
            embedders=StaticEmbedderCatalogue.single(embedder),
            chunks=index,
            registry=registry,
            splitter=splitter,
            locks=InProcessDocumentLocks(),
        )
        t = time.perf_counter()
        for start in range(0, len(docs), 50):
            ingest.execute(
                IngestRequest(principal=ANONYMOUS, collection="bench", documents=tuple(docs[start : start + 50]))
            )
        ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        ingest.execute(IngestRequest(principal=ANONYMOUS, collection="bench", documents=tuple(docs[:50])))
        unchanged_s = time.perf_counter() - t
        index.close()
        registry.close()
    return {
        "documents": len(docs),
        "chunks": len(texts),
        "raw_embed_chunks_per_s": len(texts) / raw_s,
        "ingest_chunks_per_s": len(texts) / ingest_s,
        "ratio_ingest_vs_raw_embedder": raw_s / ingest_s,
        "reingest_50_unchanged_docs_s": unchanged_s,
    }


def clustered_vectors(n: int, dim: int, rng: np.random.Generator, centroids: np.ndarray) -> np.ndarray:
    picks = rng.integers(0, len(centroids), n)
    v = centroids[picks] + 0.35 * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(index: ChunkIndex, vectors: np.ndarray, start: int, stop: int, batch: int = 1000) -> float:
    t = time.perf_counter()
    for s in range(start, stop, batch):
        e = min(stop, s + batch)
        chunks = [
            Chunk(
                id=chunk_id(f"d{i // 10}", "v" * 16, i),
                document_id=f"d{i // 10}",
                document_version="v" * 16,
                text=f"chunk {i}",
                position=i % 10,
            )
            for i in range(s, e)
        ]
        index.upsert("bench", chunks, vectors[s:e].tolist())
    return time.perf_counter() - t


def latencies(index: ChunkIndex, queries: np.ndarray, k: int = 10) -> tuple[list[float], list[list[int]]]:
    for q in queries[:20]:  # warm-up
        index.search("bench", ChunkQuery(top_k=k, vector=q.tolist()))
    out, ids = [], []
    for q in queries:
        t = time.perf_counter()
        hits = index.search("bench", ChunkQuery(top_k=k, vector=q.tolist()))
        out.append((time.perf_counter() - t) * 1000)
        ids.append([int(h.chunk.id.rsplit("#", 1)[1]) for h in hits])
    return out, ids


def bench_search(sizes: list[int], n_queries: int, *, weaviate: bool = True) -> dict[str, Any]:
    """Every store at every size (filled incrementally); ``weaviate=False``: the embedded store alone."""
    from autbot.adapters.weaviate.chunks import WeaviateChunkIndex
    from autbot.adapters.weaviate.connection import WeaviateConnection

    dim, rng = 384, np.random.default_rng(42)
    centroids = rng.standard_normal((1000, dim)).astype(np.float32)
    vectors = clustered_vectors(max(sizes), dim, rng, centroids)
    queries = clustered_vectors(n_queries, dim, rng, centroids)
    embedder = OnnxEmbedder()
    sample = [f"How does the {w} relate to the {v}?" for w, v in zip(WORDS, reversed(WORDS), strict=True)]
    embedder.embed(sample)
    emb_ms = []
    for text in sample * 4:
        t = time.perf_counter()
        embedder.embed([text])
        emb_ms.append((time.perf_counter() - t) * 1000)

    node = WeaviateNodes(Path(tempfile.mkdtemp(prefix="autbot-bench-weaviate-"))).start() if weaviate else None
    results: dict[str, Any] = {
        "query_embedding_ms_p50": percentile(emb_ms, 50),
        "dimension": dim,
        "queries": n_queries,
        "sizes": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        connection = WeaviateConnection(**node.settings()) if node is not None else None  # type: ignore[arg-type]
        stores: dict[str, ChunkIndex] = {"embedded (Chroma)": ChromaChunkIndex(path=tmp)}
        if connection is not None:
            stores["Weaviate"] = WeaviateChunkIndex(connection)
        try:
            for store in stores.values():
                store.drop("bench")
                store.ensure("bench")
            filled = 0
            for size in sizes:
                row: dict[str, Any] = {}
                base = vectors[:size]
                exact_ms, truth_rows = [], []
                for q in queries:  # one query at a time, like the stores
                    t = time.perf_counter()
                    scores = base @ q
                    top = np.argpartition(-scores, 10)[:10]
                    truth_rows.append(top[np.argsort(-scores[top])])
                    exact_ms.append((time.perf_counter() - t) * 1000)
                truth = np.array(truth_rows)
                row["exact numpy (baseline)"] = {
                    "p50_ms": percentile(exact_ms, 50),
                    "p99_ms": percentile(exact_ms, 99),
                    "recall_at_10": 1.0,
                }
                for name, store in stores.items():
                    load_s = fill(store, vectors, filled, size)
                    time.sleep(1.0)
                    lat, ids = latencies(store, queries)
                    recall = statistics.mean(
                        len(set(i) & set(t.tolist())) / 10 for i, t in zip(ids, truth, strict=True)
                    )
                    row[name] = {
                        "p50_ms": percentile(lat, 50),
                        "p99_ms": percentile(lat, 99),
                        "recall_at_10": recall,
                        "load_s_for_new_chunks": load_s,
                    }
                filled = size
                results["sizes"][str(size)] = row
        finally:
            stores["embedded (Chroma)"].close()  # type: ignore[attr-defined]
            if connection is not None and node is not None:
                connection.close()
                node.stop()
    return results


def markdown(res: dict[str, Any]) -> str:
    ing = res["ingest"]
    lines = [f"Machine: {res['machine']}; run {res['when']}.", ""]
    if ing:
        lines += [
            "### Ingestion vs the raw embedder (same chunk texts)",
            "",
            "| documents | chunks | raw embedder (chunks/s) | ingestion (chunks/s) | ratio |",
            "|---:|---:|---:|---:|---:|",
            f"| {ing['documents']} | {ing['chunks']} | {ing['raw_embed_chunks_per_s']:.0f} | "
            f"{ing['ingest_chunks_per_s']:.0f} | **{ing['ratio_ingest_vs_raw_embedder']:.2f}** |",
            "",
            f"Re-ingesting 50 unchanged documents (no-op): {ing['reingest_50_unchanged_docs_s'] * 1000:.0f} ms.",
            "",
        ]
    if not res["search"]:
        return "\n".join(lines)
    lines += [
        "### Search latency, top-10, same vectors and queries",
        "",
        f"{res['search']['queries']} queries, {res['search']['dimension']}-d clustered unit vectors. Query embedding "
        f"(ONNX MiniLM, one text) adds p50 {res['search']['query_embedding_ms_p50']:.1f} ms on top.",
        "",
        "| chunks | store | p50 ms | p99 ms | recall@10 | p50 vs embedded |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, row in res["search"]["sizes"].items():
        base = row["embedded (Chroma)"]["p50_ms"]
        for name, r in row.items():
            lines.append(
                f"| {int(size):,} | {name} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['recall_at_10']:.3f} | "
                f"{r['p50_ms'] / base:.2f}x |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 documents; 1,000 and 5,000 chunks, 50 queries")
    parser.add_argument("--part", choices=["all", "ingest", "search"], default="all")
    parser.add_argument("--sizes", help="comma-separated corpus sizes for the search part (default 10000,100000)")
    parser.add_argument("--no-weaviate", action="store_true", help="search part: the embedded store alone")
    parser.add_argument("--queries", type=int, help="search queries per size (default 300)")
    add_out_argument(parser, "ingest_search")
    args = parser.parse_args()
    sizes = (
        [int(x) for x in args.sizes.split(",")] if args.sizes else ([1_000, 5_000] if args.quick else [10_000, 100_000])
    )
    n_queries = args.queries or (50 if args.quick else 300)
    earlier = json.loads(args.out.read_text()) if args.out.exists() else {}
    res: dict[str, Any] = {
        **stamp(),
        "ingest": bench_ingest(40 if args.quick else 300) if args.part != "search" else earlier.get("ingest"),
        "search": bench_search(sizes, n_queries, weaviate=not args.no_weaviate)
        if args.part != "ingest"
        else earlier.get("search"),
    }
    write_json(args.out, res)
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
