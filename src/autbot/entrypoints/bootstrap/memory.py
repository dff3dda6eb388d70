"""glibc's malloc: how many arenas it keeps, and handing its free pages back to the OS.

The server's threads (request workers, onnxruntime's pool, Chroma's and llama.cpp's) each keep freed
ingestion buffers in their own arena: ``server.malloc_arenas`` caps the arenas. What an arena keeps after
an ingestion request is freed but still resident; ``server.malloc_trim`` returns it after each ingestion
request (``MemoryReleasingIngest``), so RSS after a load is what the server still uses. Measured in
docs/benchmarks.md, "Start-up and memory".
"""

from __future__ import annotations

import ctypes
import functools
import os

from autbot.domain.errors import AutbotError
from autbot.domain.model import DocumentInput, IngestOutcome
from autbot.use_cases.ingest import Ingestion, IngestRequest

_M_ARENA_MAX = -8  # glibc's mallopt parameter number


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")  # glibc's name on Linux
    except OSError:
        return None


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap this process's malloc arenas (0: glibc's default, 8 per core); worker processes started later get
    the same cap through ``MALLOC_ARENA_MAX``. False where the C library ignores it."""
    mallopt = getattr(_libc(), "mallopt", None)
    if arenas <= 0 or mallopt is None:
        return False
    os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas))
    return bool(mallopt(_M_ARENA_MAX, arenas))  # musl and others: a no-op returning 0


def release_free_memory() -> bool:
    """Return the free pages of every malloc arena to the OS (glibc's ``malloc_trim(0)``; thread-safe, a few
    milliseconds). True when some memory was released; False when none was or the C library lacks it."""
    trim = getattr(_libc(), "malloc_trim", None)
    return bool(trim(0)) if trim is not None else False


class MemoryReleasingIngest:
    """Runs ``ingest``, then releases the freed C heap, whether the request succeeded or was refused: the
    embedder's and the vector store's transient buffers are freed by then, but stay resident without it."""

    def __init__(self, ingest: Ingestion) -> None:
        self._ingest = ingest

    def execute(self, request: IngestRequest) -> list[IngestOutcome]:
        try:
            return self._ingest.execute(request)
        finally:
            release_free_memory()

    def screen(self, documents: tuple[DocumentInput, ...]) -> list[DocumentInput | AutbotError]:
        return self._ingest.screen(documents)


def releasing_memory(ingest: Ingestion, *, enabled: bool) -> Ingestion:
    """``ingest`` behind a ``MemoryReleasingIngest`` when ``server.malloc_trim`` is on, else itself."""
    return MemoryReleasingIngest(ingest) if enabled else ingest
