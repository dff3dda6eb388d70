"""Per-document locks within one process: striped ``threading.Lock``s, taken in a fixed order."""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterator, Sequence


class InProcessDocumentLocks:
    """Serialises ingestions of one document within this process. Each document maps to one of
    ``stripes`` locks; a request takes its stripes in ascending order, so two requests never deadlock.
    Replicas in other processes need a shared implementation of the port."""

    def __init__(self, stripes: int = 64) -> None:
        self._stripes = [threading.Lock() for _ in range(stripes)]

    @contextlib.contextmanager
    def hold(self, collection: str, document_ids: Sequence[str]) -> Iterator[None]:
        wanted = sorted({zlib.crc32(f"{collection}/{i}".encode()) % len(self._stripes) for i in document_ids})
        with contextlib.ExitStack() as stack:
            for n in wanted:
                stack.enter_context(self._stripes[n])
            yield
