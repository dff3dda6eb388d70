"""Do answers starve while documents are ingested? Synchronous ingestion vs ingestion jobs, on a real server.

One ``autbot serve`` on the default profile (ONNX embedder, embedded Chroma, the local language model), a seeded
collection, and this load, each phase ``--seconds`` long:

- searches paced at 10/s (open loop: a late answer never delays the next search), on the seeded collection;
- 2 askers, each asking its next question (``/query``) when the last is answered: questions about seeded
  fictional facts, so each one is answered by the language model from a cited chunk (an answer without a
  citation is not counted);
- 2 ingesters of 20 new documents at a time: ``sync`` posts them to ``/documents`` and waits for the answer;
  ``jobs`` submits them as a job and waits for the job to end.

Phases: ``idle`` (searches and askers), then for each mode ``<mode>-alone`` (ingesters only) and ``<mode>-mixed``
(all three). Reported per mode: answers/s while ingesting ÷ idle answers/s, ``/search`` p99 while ingesting, and
ingested documents/s while mixed ÷ alone. The load generator runs on the same machine (threads in this process).

``--rounds R`` repeats the whole cycle of phases R times and pools each phase's counts and latencies over the
rounds: on a machine whose other load drifts, interleaved short phases compare like with like better than one
long phase of each.

    uv run python -m bench.perf.job_fairness [--seconds 45] [--rounds 1] [--modes sync,jobs] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from tests.support.processes import AutbotServer

from bench._support.corpus import corpus, fictional_facts, queries
from bench._support.measure import percentile
from bench._support.results import add_out_argument, stamp, write_json

ENV = {
    "AUTBOT_AUTH__KEYS_BACKEND": "memory",
    "AUTBOT_LIMITS__ENABLED": "false",
    "AUTBOT_LIMITS__DAILY_TOKENS_PER_KEY": "0",
    "AUTBOT_LOGGING__ACCESS_LOG": "false",
}
SEARCH_RATE = 10.0
ASKERS = 2
INGESTERS = 2
BATCH = 20
FACTS, QUESTIONS = fictional_facts(40)
"""Seeded beside the random documents: every question finds its fact, so every answer runs the language model."""


class Phase:
    """One phase's load, stopped at ``end``; counts only what finished before it."""

    def __init__(self, url: str, seconds: float, *, search: bool, ask: bool, ingest: str | None) -> None:
        self.url, self.end = url, time.monotonic() + seconds
        self.seconds = seconds
        self.search, self.ask, self.ingest = search, ask, ingest
        self.search_ms: list[float] = []
        self.search_errors = 0
        self.answers = 0
        self.documents = 0
        self.ids = itertools.count()
        self.lock = threading.Lock()

    def run(self, tag: str) -> Phase:
        threads = []
        if self.search:
            threads.append(threading.Thread(target=self._searches))
        threads += [threading.Thread(target=self._asker) for _ in range(ASKERS if self.ask else 0)]
        threads += [
            threading.Thread(target=self._ingester, args=(f"{tag}-{k}",))
            for k in range(INGESTERS if self.ingest else 0)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return self

    def _searches(self) -> None:
        qs = itertools.cycle(queries(50))
        with ThreadPoolExecutor(16) as pool, httpx.Client(base_url=self.url, timeout=30) as c:
            tick = time.monotonic()
            while tick < self.end:
                pool.submit(self._one_search, c, next(qs))
                tick += 1 / SEARCH_RATE
                time.sleep(max(0.0, tick - time.monotonic()))

    def _one_search(self, c: httpx.Client, q: str) -> None:
        t = time.perf_counter()
        r = c.post("/v1/collections/kb/search", json={"query": q})
        ms = (time.perf_counter() - t) * 1000
        with self.lock:
            if r.status_code == 200:
                self.search_ms.append(ms)
            else:
                self.search_errors += 1

    def _asker(self) -> None:
        with httpx.Client(base_url=self.url, timeout=300) as c:
            for q in itertools.cycle(QUESTIONS):
                if time.monotonic() >= self.end:
                    return
                r = c.post("/v1/collections/kb/query", json={"question": q, "max_tokens": 48})
                if r.status_code == 200 and r.json()["citations"] and time.monotonic() <= self.end:
                    with self.lock:
                        self.answers += 1

    def _ingester(self, tag: str) -> None:
        with httpx.Client(base_url=self.url, timeout=600) as c:
            while time.monotonic() < self.end:
                n = next(self.ids)
                docs = [
                    {"id": f"{tag}-{n}-{i}", "text": d.text}
                    for i, d in enumerate(corpus(BATCH, seed=hash((tag, n)) % 10_000))
                ]
                done = self._sync(c, docs) if self.ingest == "sync" else self._job(c, docs)
                with self.lock:
                    self.documents += done

    def _sync(self, c: httpx.Client, docs: list[dict[str, Any]]) -> int:
        r = c.post("/v1/collections/feed/documents", json={"documents": docs})
        return len(docs) if r.status_code == 201 and time.monotonic() <= self.end else 0

    def _job(self, c: httpx.Client, docs: list[dict[str, Any]]) -> int:
        job = c.post("/v1/collections/feed/jobs", json={"documents": docs}).json()
        while True:
            state = c.get(f"/v1/jobs/{job['id']}").json()
            if state["state"] in ("succeeded", "failed", "cancelled"):
                return int(state["counts"]["done"])
            if time.monotonic() > self.end:  # what it did by the end counts; the rest is cancelled
                c.delete(f"/v1/jobs/{job['id']}")
                return int(state["counts"]["done"])
            time.sleep(0.1)


def pooled(runs: list[Phase]) -> dict[str, Any]:
    """One phase's figures over every round it ran: counts per second of the summed time, latency percentiles
    of every sample together."""
    seconds = sum(r.seconds for r in runs)
    search_ms = [ms for r in runs for ms in r.search_ms]
    return {
        "rounds": len(runs),
        "answers_per_s": round(sum(r.answers for r in runs) / seconds, 3),
        "search_p50_ms": round(percentile(search_ms, 50), 1) if search_ms else None,
        "search_p99_ms": round(percentile(search_ms, 99), 1) if search_ms else None,
        "searches": len(search_ms),
        "search_errors": sum(r.search_errors for r in runs),
        "documents_per_s": round(sum(r.documents for r in runs) / seconds, 2),
    }


def seed(url: str, docs: int) -> None:
    texts = [d.text for d in corpus(docs)]
    with httpx.Client(base_url=url, timeout=600) as c:
        for start in range(0, docs, 50):
            batch = [{"id": f"seed-{i}", "text": t} for i, t in enumerate(texts[start : start + 50], start)]
            c.post("/v1/collections/kb/documents", json={"documents": batch}).raise_for_status()
        c.post("/v1/collections/kb/documents", json={"documents": FACTS}).raise_for_status()
        for q in QUESTIONS[:2]:  # warm the model
            c.post("/v1/collections/kb/query", json={"question": q, "max_tokens": 8})


def wait_idle(url: str) -> None:
    """No job running: the next phase starts clean."""
    with httpx.Client(base_url=url, timeout=30) as c:
        for _ in range(600):
            running = c.get("/v1/jobs", params={"state": "running"}).json()["jobs"]
            queued = c.get("/v1/jobs", params={"state": "queued"}).json()["jobs"]
            if not running and not queued:
                return
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=45.0, help="length of each phase in each round")
    p.add_argument("--rounds", type=int, default=1, help="cycles of every phase, pooled")
    p.add_argument("--modes", default="sync,jobs")
    p.add_argument("--nice", type=int, default=None, help="jobs.nice of the server (default: the setting's)")
    p.add_argument("--embedder-threads", type=int, default=None, help="jobs.embedder_threads (default: the setting's)")
    p.add_argument("--seed-docs", type=int, default=200)
    p.add_argument("--quick", action="store_true", help="10 s phases, 50 seeded documents")
    add_out_argument(p, "job_fairness")
    args = p.parse_args(argv)
    seconds = 10.0 if args.quick else args.seconds
    env = dict(ENV)
    if args.nice is not None:
        env["AUTBOT_JOBS__NICE"] = str(args.nice)
    if args.embedder_threads is not None:
        env["AUTBOT_JOBS__EMBEDDER_THREADS"] = str(args.embedder_threads)
    runs: dict[str, list[Phase]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = AutbotServer(Path(tmp) / "data", env=env).start(timeout=600)
        try:
            seed(server.url, 50 if args.quick else args.seed_docs)
            for round_ in range(args.rounds):
                cycle = [("idle", None, True)] + [
                    (f"{mode}-{kind}", mode, load)
                    for mode in args.modes.split(",")
                    for kind, load in (("alone", False), ("mixed", True))
                ]
                for name, mode, load in cycle:
                    phase = Phase(server.url, seconds, search=load, ask=load, ingest=mode).run(f"{name}-r{round_}")
                    runs.setdefault(name, []).append(phase)
                    print(f"round {round_ + 1}", name, pooled([phase]), flush=True)
                    wait_idle(server.url)
        finally:
            server.stop()
    phases = {name: pooled(each) for name, each in runs.items()}
    summary = {}
    for mode in args.modes.split(","):
        mixed, alone, idle = phases[f"{mode}-mixed"], phases[f"{mode}-alone"], phases["idle"]
        summary[mode] = {
            "answers_ratio": round(mixed["answers_per_s"] / max(idle["answers_per_s"], 1e-9), 3),
            "search_p99_ms": mixed["search_p99_ms"],
            "ingest_ratio": round(mixed["documents_per_s"] / max(alone["documents_per_s"], 1e-9), 3),
        }
    print(
        "| mode | answers/s mixed ÷ idle (goal ≥ 0.5) | /search p99 mixed, ms (goal ≤ 100) "
        "| ingest mixed ÷ alone (≥ 0.4) |"
    )
    print("|---|---|---|---|")
    for mode, s in summary.items():
        print(f"| {mode} | {s['answers_ratio']} | {s['search_p99_ms']} | {s['ingest_ratio']} |")
    settings = {"jobs.nice": args.nice, "jobs.embedder_threads": args.embedder_threads}
    write_json(
        args.out,
        {**stamp(), "seconds": seconds, "rounds": args.rounds, "settings": settings}
        | {"phases": phases, "summary": summary},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
