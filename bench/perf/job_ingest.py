"""Ingestion of the BEIR NFCorpus corpus (3,633 documents) through one job on a real ``autbot serve`` (default
profile: ONNX embedder, embedded Chroma), against the raw embedder on the same chunk texts.

The raw figure embeds exactly what the job embeds (each chunk with its document's title, split with the
profile's splitter) with the embedder the server builds from the same settings, in this process while no server
runs (the server's job workers use that embedder too: ``--embedder-threads 0``, the default here);
the job figure is the job's own time from its first batch to its end (``started_at`` → ``finished_at``).
The corpus is read from ``~/.cache/autbot/datasets/nfcorpus/corpus.jsonl`` (BEIR layout; never copied here).

    uv run python -m bench.perf.job_ingest [--limit N] [--corpus PATH] [--quick]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.support.processes import AutbotServer

from bench._support.results import add_out_argument, stamp, write_json

CORPUS = Path.home() / ".cache" / "autbot" / "datasets" / "nfcorpus" / "corpus.jsonl"
ENV = {"AUTBOT_AUTH__KEYS_BACKEND": "memory", "AUTBOT_LIMITS__ENABLED": "false", "AUTBOT_LOGGING__ACCESS_LOG": "false"}


def documents(path: Path, limit: int | None) -> list[dict[str, Any]]:
    docs = []
    with path.open() as f:
        for line in f:
            row = json.loads(line)
            if row.get("text", "").strip():
                docs.append({"id": row["_id"], "title": row.get("title") or None, "text": row["text"]})
            if limit is not None and len(docs) >= limit:
                break
    return docs


def raw_embedder_s(docs: list[dict[str, Any]]) -> tuple[float, int]:
    from autbot.domain.chunking import embedding_text
    from autbot.entrypoints.bootstrap.factories import _onnx_embedder, _splitter
    from autbot.entrypoints.settings import load_settings

    settings = load_settings(env={})
    splitter, embedder = _splitter(settings), _onnx_embedder(settings)
    texts = [embedding_text(d["title"], c) for d in docs for c in splitter.split(d["text"]) if c.strip()]
    embedder.embed(texts[:64])  # warm-up
    started = time.perf_counter()
    for start in range(0, len(texts), 512):
        embedder.embed(texts[start : start + 512])
    return time.perf_counter() - started, len(texts)


def job_s(docs: list[dict[str, Any]], embedder_threads: int, nice: int | None) -> dict[str, Any]:
    env = {**ENV, "AUTBOT_JOBS__EMBEDDER_THREADS": str(embedder_threads)}
    if nice is not None:
        env["AUTBOT_JOBS__NICE"] = str(nice)
    with tempfile.TemporaryDirectory() as tmp:
        server = AutbotServer(Path(tmp) / "data", env=env).start(timeout=600)
        try:
            with httpx.Client(base_url=server.url, timeout=600) as c:
                r = c.post("/v1/collections/nfcorpus/jobs", json={"documents": docs})
                r.raise_for_status()
                job_id = r.json()["id"]
                while (job := c.get(f"/v1/jobs/{job_id}").json())["state"] not in ("succeeded", "failed", "cancelled"):
                    time.sleep(0.5)
        finally:
            server.stop()
    return job


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--limit", type=int, default=None, help="the first N documents only")
    p.add_argument("--quick", action="store_true", help="the first 300 documents")
    p.add_argument(
        "--embedder-threads",
        type=int,
        default=0,
        help="jobs.embedder_threads of the server (default 0: the server's embedder, as the raw figure uses)",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=None,
        help="jobs.nice of the server (0: the raw figure's priority; default: the setting's)",
    )
    add_out_argument(p, "job_ingest")
    args = p.parse_args(argv)
    docs = documents(args.corpus, 300 if args.quick else args.limit)
    raw, chunks = raw_embedder_s(docs)
    job = job_s(docs, args.embedder_threads, args.nice)
    took = job["finished_at"] - job["started_at"]
    result = {
        "documents": len(docs),
        "jobs_embedder_threads": args.embedder_threads,
        "jobs_nice": args.nice,
        "chunks_embedded_raw": chunks,
        "job_state": job["state"],
        "job_counts": job["counts"],
        "raw_embedder_s": round(raw, 2),
        "raw_chunks_per_s": round(chunks / raw, 1),
        "job_s": round(took, 2),
        "job_chunks_per_s": round(job["counts"]["chunks"] / took, 1),
        "ratio_job_vs_raw_embedder": round(raw / took, 3),
    }
    print(json.dumps(result, indent=2))
    write_json(args.out, {**stamp(), **result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
