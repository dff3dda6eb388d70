"""Ingestion of the BEIR NFCorpus corpus (3,633 documents) through one job on a real ``autbot serve`` (default
profile: ONNX embedder, embedded Chroma), against the raw embedder on the same chunk texts.

The raw figure embeds exactly what the job embeds (each chunk with its document's title, split with the
profile's splitter) with the embedder the server builds from the same settings, in this process (the server's
job workers use that embedder too: ``--embedder-threads 0``, the default here); the job figure is the job's own
time from its first batch to its end (``started_at`` → ``finished_at``).

The corpus is cut into ``--slices`` consecutive slices, and each slice is measured both ways back to back (raw,
then its job, while the other side idles): on a machine whose other load drifts, the two sides of the ratio then
see the same conditions. The figures are the sums over the slices.
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


class RawEmbedder:
    """The server's splitter and embedder, built from the same settings, driven directly."""

    def __init__(self) -> None:
        from autbot.domain.chunking import embedding_text
        from autbot.entrypoints.bootstrap.factories.embedders import default_embedder, onnx_catalogue
        from autbot.entrypoints.bootstrap.factories.ingestion import text_splitter
        from autbot.entrypoints.settings import load_settings

        settings = load_settings(env={})
        self._text = embedding_text
        self._splitter, self._embedder = text_splitter(settings), default_embedder(onnx_catalogue(settings))
        self._embedder.embed(["warm-up"] * 64)

    def seconds(self, docs: list[dict[str, Any]]) -> tuple[float, int]:
        texts = [self._text(d["title"], c) for d in docs for c in self._splitter.split(d["text"]) if c.strip()]
        started = time.perf_counter()
        for start in range(0, len(texts), 512):
            self._embedder.embed(texts[start : start + 512])
        return time.perf_counter() - started, len(texts)


def run_job(c: httpx.Client, docs: list[dict[str, Any]], collection: str = "nfcorpus") -> dict[str, Any]:
    r = c.post(f"/v1/collections/{collection}/jobs", json={"documents": docs})
    r.raise_for_status()
    job_id = r.json()["id"]
    while (job := c.get(f"/v1/jobs/{job_id}").json())["state"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(0.5)
    return dict(job)


def measure(docs: list[dict[str, Any]], slices: int, env: dict[str, str]) -> dict[str, Any]:
    raw = RawEmbedder()
    size = -(-len(docs) // slices)
    totals: dict[str, Any] = {"raw_s": 0.0, "raw_chunks": 0, "job_s": 0.0, "job_chunks": 0, "states": [], "counts": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = AutbotServer(Path(tmp) / "data", env=env).start(timeout=600)
        try:
            with httpx.Client(base_url=server.url, timeout=600) as c:
                run_job(c, docs[:2], collection="warm-up")  # the worker's first batch loads what it needs
                for start in range(0, len(docs), size):
                    part = docs[start : start + size]
                    took, chunks = raw.seconds(part)
                    job = run_job(c, part)
                    totals["raw_s"] += took
                    totals["raw_chunks"] += chunks
                    totals["job_s"] += job["finished_at"] - job["started_at"]
                    totals["job_chunks"] += job["counts"]["chunks"]
                    totals["states"].append(job["state"])
                    totals["counts"].append(job["counts"])
                    print(
                        f"slice {start // size + 1}: raw {took:.1f} s, job {totals['job_s']:.1f} s so far", flush=True
                    )
        finally:
            server.stop()
    return totals


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
    p.add_argument("--slices", type=int, default=8, help="consecutive slices, each measured raw then as a job")
    add_out_argument(p, "job_ingest")
    args = p.parse_args(argv)
    docs = documents(args.corpus, 300 if args.quick else args.limit)
    env = {**ENV, "AUTBOT_JOBS__EMBEDDER_THREADS": str(args.embedder_threads)}
    if args.nice is not None:
        env["AUTBOT_JOBS__NICE"] = str(args.nice)
    t = measure(docs, max(1, args.slices), env)
    result = {
        "documents": len(docs),
        "slices": args.slices,
        "jobs_embedder_threads": args.embedder_threads,
        "jobs_nice": args.nice,
        "chunks_embedded_raw": t["raw_chunks"],
        "job_states": sorted(set(t["states"])),
        "job_chunks": t["job_chunks"],
        "job_documents_done": sum(c["done"] for c in t["counts"]),
        "job_documents_failed": sum(c["failed"] for c in t["counts"]),
        "raw_embedder_s": round(t["raw_s"], 2),
        "raw_chunks_per_s": round(t["raw_chunks"] / t["raw_s"], 1),
        "job_s": round(t["job_s"], 2),
        "job_chunks_per_s": round(t["job_chunks"] / t["job_s"], 1),
        "ratio_job_vs_raw_embedder": round(t["raw_s"] / t["job_s"], 3),
    }
    print(json.dumps(result, indent=2))
    write_json(args.out, {**stamp(), **result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
