"""glibc's malloc arenas: each thread that allocates may get its own, and freed memory stays in it.

The server's threads (request workers, onnxruntime's pool, Chroma's and llama.cpp's) each kept freed
ingestion buffers in their own arena: capping the arenas (``server.malloc_arenas``) returned about 120 MB
after a load in ``bench/speed.py --suite rss`` (docs/benchmarks.md, "Start-up and memory").
"""

from __future__ import annotations

import ctypes
import os

_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap this process's malloc arenas (0: glibc's default, 8 per core); worker processes started later get
    the same cap through ``MALLOC_ARENA_MAX``. False where the C library ignores it."""
    if arenas <= 0:
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt  # glibc's name on Linux
    except (OSError, AttributeError):
        return False
    os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas))
    return bool(mallopt(_M_ARENA_MAX, arenas))  # musl and others: a no-op returning 0
