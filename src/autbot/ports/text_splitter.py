from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class TextSplitter(Protocol):
    """Splits a document's text into chunk texts, in order, losing no words."""

    def split(self, text: str) -> list[str]: ...
