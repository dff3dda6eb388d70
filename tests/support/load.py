"""A steady, bounded load through one URL, every outcome counted: a few clients, each doing in turn a search,
a streamed answer (the collection's ``/query``), an OpenAI chat completions stream, a session's streamed answer,
an ingest of a new document and the submission of a small ingestion job (one document).

A request fails when it gets no answer or not the status it expects; a stream is cut when it does not end
with its done event (``done``; ``data: [DONE]`` after a finished choice), an ``error`` event included. A job
submission is answered when it gets its 202 with a ``Location``; the job and the marker word its document
carries are recorded (``Tally.jobs``) for the test to check that each job ended ``succeeded`` and its document
is found (``jobs_ended``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.processes import parse_sse


@dataclass
class Tally:
    """What the clients saw: answers as expected per kind, and every failure and cut stream, described."""

    answered: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    cut_streams: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)
    """Accepted jobs: job id -> the marker word of its one document."""
    spans: list[tuple[float, float]] = field(default_factory=list)  # each request's start and end (monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, kind: str) -> None:
        with self.lock:
            self.answered[kind] += 1

    def failed(self, kind: str, what: str) -> None:
        with self.lock:
            self.failures.append(f"{kind}: {what}")

    def cut(self, kind: str, what: str) -> None:
        with self.lock:
            self.cut_streams.append(f"{kind}: {what}")

    @property
    def requests(self) -> int:
        return sum(self.answered.values()) + len(self.failures) + len(self.cut_streams)

    def in_flight_at(self, moment: float) -> int:
        """Rounds of one kind (a request, or a session's two) begun before ``moment`` and ended after it."""
        with self.lock:
            return sum(1 for start, end in self.spans if start < moment < end)


@dataclass(frozen=True)
class Request:
    client: httpx.Client
    collection: str
    tag: str  # unique per request: "<client>-<n>"
    n: int
    tally: Tally


def search(r: Request) -> None:
    body = {"query": f"river number {r.n % 20} and its fish", "top_k": 3}
    _expect(r, "search", r.client.post(f"/v1/collections/{r.collection}/search", json=body), 200)


def ingest(r: Request) -> None:
    doc = {"id": f"load-{r.tag}", "text": f"Load document {r.tag} describes lake number {r.n % 20} and its birds."}
    resp = r.client.post(f"/v1/collections/{r.collection}/documents", json={"documents": [doc]})
    if _expect(r, "ingest", resp, 201):
        with r.tally.lock:
            r.tally.documents.append(doc["id"])


def submit_job(r: Request) -> None:
    marker = "jobmark" + r.tag.replace("-", "x") + "z"
    doc = {"id": f"job-{r.tag}", "text": f"Job document {r.tag} carries {marker} about pond number {r.n % 20}."}
    resp = r.client.post(f"/v1/collections/{r.collection}/jobs", json={"documents": [doc]})
    location = resp.headers.get("location", "")
    if resp.status_code == 202 and not location.startswith("/v1/jobs/"):
        r.tally.failed("submit_job", f"202 without a job Location: {location!r}")
    elif _expect(r, "submit_job", resp, 202):
        with r.tally.lock:
            r.tally.jobs[location.rsplit("/", 1)[1]] = marker


def jobs_ended(client: httpx.Client, job_ids: list[str], *, timeout_s: float = 120.0) -> list[dict[str, Any]]:
    """Each job's record once every one of them ended (or the deadline passed: then as they are)."""
    deadline = time.monotonic() + timeout_s
    records = {i: client.get(f"/v1/jobs/{i}").json() for i in job_ids}
    while time.monotonic() < deadline:
        waiting = [i for i, j in records.items() if j.get("state") not in ("succeeded", "failed", "cancelled")]
        if not waiting:
            break
        time.sleep(0.2)
        records.update({i: client.get(f"/v1/jobs/{i}").json() for i in waiting})
    return [records[i] for i in job_ids]


def query_stream(r: Request) -> None:
    body = {"question": f"What does river number {r.n % 20} hold?", "stream": True}
    _stream(r, "query_stream", f"/v1/collections/{r.collection}/query", body, _answer_complete)


def chat_stream(r: Request) -> None:
    question = f"Which fish live in river number {r.n % 20}?"
    body = {"model": f"rag:{r.collection}", "stream": True, "messages": [{"role": "user", "content": question}]}
    _stream(r, "chat_stream", "/v1/chat/completions", body, _chat_complete)


def session_stream(r: Request) -> None:
    created = r.client.post("/v1/sessions", json={"collection": r.collection})
    if not _expect(r, "session_create", created, 201):
        return
    body = {"question": f"What does river number {r.n % 20} hold?", "stream": True}
    _stream(r, "session_stream", f"/v1/sessions/{created.json()['id']}/messages", body, _answer_complete)


KINDS: tuple[Callable[[Request], None], ...] = (search, query_stream, chat_stream, ingest, session_stream, submit_job)
"""One round of each client."""


def _expect(r: Request, kind: str, resp: httpx.Response, status: int) -> bool:
    if resp.status_code == status:
        r.tally.ok(kind)
        return True
    r.tally.failed(kind, f"{resp.status_code} {resp.text[:300]}")
    return False


def _answer_complete(events: list[tuple[str, str]]) -> bool:
    kinds = [kind for kind, _ in events]
    return bool(kinds) and kinds[-1] == "done" and "error" not in kinds


def _chat_complete(events: list[tuple[str, str]]) -> bool:
    data = [d for _, d in events]
    if not data or data[-1] != "[DONE]":
        return False
    chunks = [json.loads(d) for d in data[:-1]]
    return all("error" not in c for c in chunks) and any(c["choices"][0].get("finish_reason") for c in chunks)


def _stream(r: Request, kind: str, path: str, body: object, complete: Callable[[list[tuple[str, str]]], bool]) -> None:
    events: list[tuple[str, str]] = []
    try:
        with r.client.stream("POST", path, json=body) as resp:
            if resp.status_code != 200:
                r.tally.failed(kind, f"{resp.status_code} {resp.read()[:300]!r}")
                return
            try:
                events.extend(parse_sse(resp.iter_lines()))
            except httpx.HTTPError as e:  # the answer had begun: a cut stream
                r.tally.cut(kind, f"{e!r} after {len(events)} events")
                return
    except httpx.HTTPError as e:
        r.tally.failed(kind, repr(e))
        return
    if complete(events):
        r.tally.ok(kind)
    else:
        r.tally.cut(kind, f"ended without its done event: {events[-2:]}")


class SteadyLoad:
    """``clients`` threads, each with its own keep-alive connection to ``url``, running ``KINDS`` in turn until
    ``stop`` (or ``max_rounds`` rounds: the load is bounded even if the test forgets to stop it)."""

    def __init__(
        self,
        url: str,
        collection: str,
        *,
        headers: dict[str, str] | None = None,
        clients: int = 3,
        max_rounds: int = 2000,
        timeout_s: float = 60.0,
    ) -> None:
        self.url, self.collection, self.headers = url, collection, headers or {}
        self.max_rounds, self.timeout_s = max_rounds, timeout_s
        self.tally = Tally()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)]

    def start(self) -> SteadyLoad:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> Tally:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout_s * 2)
        return self.tally

    def _client(self, index: int) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=self.timeout_s) as client:
            for n in range(self.max_rounds):
                for kind in KINDS:
                    if self._stop.is_set():
                        return
                    started = time.monotonic()
                    try:
                        kind(Request(client, self.collection, f"{index}-{n}", n, self.tally))
                    except httpx.HTTPError as e:  # no answer at all
                        self.tally.failed(kind.__name__, repr(e))
                    with self.tally.lock:
                        self.tally.spans.append((started, time.monotonic()))
