from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable


@runtime_checkable
class DocumentLocks(Protocol):
    """Mutual exclusion per document: two ingestions of one document never interleave.

    ``hold`` blocks until every named document is free and keeps them until the block ends. Taking
    several at once never deadlocks with another caller taking an overlapping set.
    """

    def hold(self, collection: str, document_ids: Sequence[str]) -> AbstractContextManager[None]: ...
