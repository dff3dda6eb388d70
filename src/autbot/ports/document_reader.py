from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from autbot.domain.model import Metadata


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadDocument:
    text: str
    title: str | None = None
    metadata: Metadata = field(default_factory=dict)


@runtime_checkable
class DocumentReader(Protocol):
    """Bytes and a media type (or a file name) in, text and metadata out.

    Raises ``UnsupportedMediaType``, ``InvalidEncoding``, ``EmptyDocument``, ``DocumentTooLarge`` (the file, its
    text, what it inflates to, or the memory its parse needs), ``InvalidInput`` (malformed or too deeply nested
    JSON), ``DocumentUnparseable`` / ``ParseBudgetExceeded`` (a file its parser cannot read, fails on, or cannot
    read within its time) or ``Overloaded`` (every parser busy); never anything else for what the file holds.
    """

    @property
    def accepted(self) -> tuple[str, ...]:
        """The media types (and file extensions) this reader takes."""
        ...

    def read(self, data: bytes, *, media_type: str | None, filename: str | None) -> ReadDocument: ...
