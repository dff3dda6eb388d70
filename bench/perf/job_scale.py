"""Job workers on one real Redis: does throughput grow with the number of workers (is the queue a bottleneck)?

N workers (threads, each with its own Dramatiq consumer, as separate processes would have) run the batches of
2N jobs over a real Redis (Debian's redis-server on a free port: queue, job records and inputs), with an embedder
made slow on purpose (a sleep per call, like waiting for a remote model: it releases the GIL, as I/O does) and
the in-memory index, one chunk per document (what is left per batch is the queue, the job records and
the inputs on Redis, and the bookkeeping of ingestion). Reported: documents per second for each N and its
ratio to N times one worker's.

    uv run python -m bench.perf.job_scale [--workers 1,2,4,8] [--docs-per-job 64] [--delay-ms 200] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support.redis import RedisServer

from autbot.adapters.chunk_index.memory import InMemoryChunkIndex
from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.jobs.redis.blobs import RedisBlobStore
from autbot.adapters.jobs.redis.queue import DramatiqRedisJobQueue
from autbot.adapters.jobs.redis.store import RedisJobStore
from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.adapters.registry.memory import InMemoryDocumentRegistry
from autbot.domain.auth import ANONYMOUS
from autbot.domain.model import DocumentInput
from autbot.entrypoints.bootstrap.jobs import JobSystem, JobWorkers
from autbot.use_cases.ingest import IngestDocuments
from autbot.use_cases.job_batches import RunBatch
from autbot.use_cases.jobs import CancelJob, GetJob, JobLimits, ListJobs, SubmitJob, SubmitJobRequest
from bench._support.results import add_out_argument, stamp, write_json


class WholeTextSplitter:
    """One chunk per document: the workers' own CPU stays out of the measurement (pods have their own cores)."""

    def split(self, text: str) -> list[str]:
        return [text]


class SlowEmbedder(HashingEmbedder):
    def __init__(self, delay_s: float) -> None:
        super().__init__(dimension=64)
        self.delay_s = delay_s

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        time.sleep(self.delay_s)
        return super().embed(texts)


def system(url: str, delay_s: float) -> JobSystem:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=10, max_connections=64)
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    queue = DramatiqRedisJobQueue(client, namespace=prefix + "queue", heartbeat_timeout_s=30)
    store, blobs = RedisJobStore(client, prefix=prefix), RedisBlobStore(client, prefix=prefix)
    registry = InMemoryDocumentRegistry()
    ingest = IngestDocuments(
        embedder=SlowEmbedder(delay_s),
        chunks=InMemoryChunkIndex(),
        registry=registry,
        splitter=WholeTextSplitter(),
        locks=InProcessDocumentLocks(stripes=65_536),  # worker processes would not share lock stripes
    )
    run = RunBatch(
        store=store, queue=queue, blobs=blobs, ingest=ingest, reader=MultiFormatDocumentReader(), registry=registry
    )
    return JobSystem(
        queue=queue,
        store=store,
        blobs=blobs,
        submit_job=SubmitJob(store=store, queue=queue, blobs=blobs, limits=JobLimits(batch_size=8)),
        get_job=GetJob(store=store),
        list_jobs=ListJobs(store=store),
        cancel_job=CancelJob(store=store),
        run_batch=run,
        closers=[queue.close, client.close],
    )


def one_run(url: str, workers: int, docs_per_job: int, delay_s: float) -> dict[str, Any]:
    jobs = system(url, delay_s)
    ids = []
    for j in range(2 * workers):
        docs = tuple(
            DocumentInput(id=f"j{j}-d{i}", text=f"Job {j} document {i} says a few words.") for i in range(docs_per_job)
        )
        ids.append(
            jobs.submit_job.execute(SubmitJobRequest(collection="bench", principal=ANONYMOUS, documents=docs)).id
        )
    print(f"{workers} workers: {len(ids)} jobs submitted", flush=True)
    pool = JobWorkers(jobs, threads=workers, nice=0)
    started = time.perf_counter()
    pool.start()
    while jobs.store.unfinished(None)[0]:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    pool.stop(10)
    jobs.close()
    total = 2 * workers * docs_per_job
    return {
        "workers": workers,
        "documents": total,
        "seconds": round(elapsed, 3),
        "docs_per_s": round(total / elapsed, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", default="1,2,4,8")
    p.add_argument("--docs-per-job", type=int, default=64)
    p.add_argument("--delay-ms", type=float, default=200.0)
    p.add_argument("--quick", action="store_true", help="workers 1,2 with 24 documents per job")
    add_out_argument(p, "job_scale")
    args = p.parse_args(argv)
    counts = [1, 2] if args.quick else [int(n) for n in args.workers.split(",")]
    per_job = 24 if args.quick else args.docs_per_job
    with tempfile.TemporaryDirectory() as tmp:
        redis_server = RedisServer(Path(tmp)).start()
        try:
            one_run(redis_server.url, 1, 8, args.delay_ms / 1000)  # warm-up: imports, the splitter, Redis scripts
            runs = [one_run(redis_server.url, n, per_job, args.delay_ms / 1000) for n in counts]
        finally:
            redis_server.stop()
    base = runs[0]["docs_per_s"] / runs[0]["workers"]
    for r in runs:
        r["ratio_to_n_times_one"] = round(r["docs_per_s"] / (base * r["workers"]), 3)
    print("| workers | documents | s | docs/s | ÷ (N × one worker) |\n|---|---|---|---|---|")
    for r in runs:
        print(
            f"| {r['workers']} | {r['documents']} | {r['seconds']} | {r['docs_per_s']} | {r['ratio_to_n_times_one']} |"
        )
    write_json(args.out, {**stamp(), "delay_ms": args.delay_ms, "batch_size": 8, "runs": runs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
