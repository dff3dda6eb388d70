"""Where a file is parsed: in the calling thread, or in a worker process killed when it overruns its budget.

Every format goes through the same runner and the same budget (``budget.ParseLimits``): markup that is
slow to parse (deeply nested HTML, a PDF of heavy content streams) costs a worker process its time,
never the server's threads or its interpreter lock, and a crash in a parser's native code is that
worker's. ``ProcessParseRunner`` (the server's) enforces, per file:

- time (``ingest.max_parse_seconds``): the worker is killed: 422 ``parse_budget_exceeded``;
- memory (``ingest.max_parse_memory_bytes``), the worker's data segment: 413 ``document_too_large``;
- at most ``ingest.parse_workers`` parses at once; a caller that waits longer than the time limit for
  one gets 503 ``server_busy``.

A worker that dies without an answer is 422 ``document_unparseable``; what a parser raises is translated
by ``formats.extract``.
"""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any, Protocol

from autbot.adapters.readers.budget import Extracted, ParseLimits, overran
from autbot.adapters.readers.formats import extract, unparseable
from autbot.domain import limits as default
from autbot.domain.errors import AutbotError, DocumentUnparseable, Overloaded

_GRACE_S = 2.0
"""Added to the time limit for a worker's start and the transfers."""


class ParseRunner(Protocol):
    """How the document reader has a file parsed (a reader-internal seam, not a port)."""

    def run(self, kind: str, data: bytes, *, name: str) -> Extracted: ...


class InProcessParseRunner:
    """Parses in the calling thread (tests, tools): no memory limit, and time is only checked between a
    PDF's pages."""

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self._limits = limits or ParseLimits()

    def run(self, kind: str, data: bytes, *, name: str) -> Extracted:
        return extract(kind, data, self._limits, name=name)


class ProcessParseRunner:
    """Parses each file in a worker process, at most ``workers`` at once; a worker that runs past
    ``limits.max_seconds`` is killed, one that answered waits for the next file (a fresh one replaces it
    after ``JOBS_PER_WORKER`` files). Workers fork from a fork server started on the first upload (nothing at
    import or start-up), which has only the readers and their parsers loaded. As with any
    ``multiprocessing`` start method but ``fork``, a worker imports the main script: a script that builds the
    app must guard it with ``if __name__ == "__main__"`` (``autbot``, ``python -m autbot.entrypoints.cli`` and
    uvicorn do)."""

    JOBS_PER_WORKER = 100
    """Files one worker parses before a fresh one replaces it (what a parser leaks stays bounded)."""

    def __init__(self, limits: ParseLimits | None = None, *, workers: int = default.PARSE_WORKERS) -> None:
        self._limits = limits or ParseLimits()
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._idle: list[_Worker] = []
        self._context: Any = None
        self._lock = threading.Lock()

    def run(self, kind: str, data: bytes, *, name: str) -> Extracted:
        if not self._slots.acquire(timeout=self._limits.max_seconds):
            raise Overloaded("Every parse worker is busy; try again shortly.", retry_after_s=default.BUSY_RETRY_AFTER_S)
        try:
            outcome = self._ask((kind, data, name))
        finally:
            self._slots.release()
        if isinstance(outcome, Extracted):
            return outcome
        error_type, message, details = outcome
        raise error_type(message, **details)

    def close(self) -> None:
        """Stop the idle workers (a busy one stops when its parse ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def _ask(self, job: tuple[str, bytes, str]) -> Any:
        worker = self._worker()
        try:
            outcome = worker.ask(job, self._limits.max_seconds)
        except BaseException:
            worker.stop()
            raise
        if worker.jobs < self.JOBS_PER_WORKER:
            with self._lock:
                self._idle.append(worker)
        else:
            worker.stop()
        return outcome

    def _worker(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.stop()
            if self._context is None:
                self._context = multiprocessing.get_context("forkserver")
                self._context.set_forkserver_preload([__name__, "pypdf", "selectolax.lexbor"])  # not '__main__'
        return _Worker(self._context, self._limits)


class _Worker:
    """One worker process and our end of its pipe."""

    def __init__(self, ctx: Any, limits: ParseLimits) -> None:
        self._pipe, theirs = ctx.Pipe(duplex=True)
        self._process = ctx.Process(target=_serve, args=(theirs, limits), daemon=True)
        self.jobs = 0
        try:
            self._process.start()
        except OSError as e:  # no process could be started (a resource limit): the server is at capacity
            self._pipe.close()
            raise Overloaded("No parse worker could be started; try again shortly.") from e
        finally:
            theirs.close()  # the worker holds the only other end: EOF on ours means it died

    def ask(self, job: tuple[str, bytes, str], seconds: float) -> Any:
        """Send a file, wait ``seconds`` (and a grace) for what the worker answers; raise past that."""
        name = job[2]
        self.jobs += 1
        try:
            self._pipe.send(job)
            if not self._pipe.poll(seconds + _GRACE_S):
                raise overran(name, seconds)
            return self._pipe.recv()
        except (EOFError, OSError) as e:  # the worker died without answering (a crash in native code, a kill)
            raise DocumentUnparseable(f"The parser failed on '{name}'.", filename=name) from e

    def alive(self) -> bool:
        return bool(self._process.is_alive())

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5)
        self._pipe.close()


def _serve(pipe: Connection, limits: ParseLimits) -> None:
    """The worker: cap its memory, then parse each file it is sent and send back the text or the error (its
    class, message and details), until its pipe closes."""
    _cap_memory(limits.max_memory_bytes)
    while True:
        try:
            kind, data, name = pipe.recv()
        except EOFError:
            return
        pipe.send(_outcome(kind, data, limits, name))
        del data


def _outcome(kind: str, data: bytes, limits: ParseLimits, name: str) -> Any:
    try:
        return extract(kind, data, limits, name=name)
    except AutbotError as e:
        return (type(e), e.message, e.details)
    except BaseException as e:
        error = unparseable(name, kind, e)
        return (type(error), error.message, error.details)


def _cap_memory(limit: int) -> None:
    """Let this process's data segment (its heap and private mappings, not its libraries' code) grow by
    ``limit`` bytes at most: past it, allocations fail (``MemoryError``, or a parser that gives up). Where
    ``/proc`` does not tell the current size (not Linux), the worker runs without the cap."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as status:  # what the fork server left mapped
            used = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmData:"))
    except (OSError, StopIteration, ValueError):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = used + limit if hard == resource.RLIM_INFINITY else min(used + limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
