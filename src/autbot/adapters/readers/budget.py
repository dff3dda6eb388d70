"""What one uploaded file's parse may cost, what it yields, and the errors that say it cost too much.

Shared by every format (``formats.py``) and both runners (``runners.py``): one budget for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autbot.domain import limits as default
from autbot.domain.errors import DocumentTooLarge, ParseBudgetExceeded


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseLimits:
    """The budget of one file's parse (``ingest.*`` settings)."""

    max_pages: int = default.MAX_PDF_PAGES
    """Pages of a PDF, counted before any text is extracted."""
    max_decompressed_bytes: int = default.MAX_DECOMPRESSED_BYTES
    """Bytes a PDF's compressed streams may inflate to."""
    max_chars: int = default.MAX_DOCUMENT_CHARS
    """Characters of extracted text (a JSON file's flattened paths included)."""
    max_seconds: float = default.MAX_PARSE_SECONDS
    """Time of the whole parse (strict in a worker process, which is then killed)."""
    max_memory_bytes: int = default.MAX_PARSE_MEMORY_BYTES
    """Memory a worker process may allocate (not enforced in the calling thread)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Extracted:
    """A file's text, the title it names (an HTML ``<title>``), and what else its format tells."""

    text: str
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def too_large(message: str, limit: int, *, name: str) -> DocumentTooLarge:
    return DocumentTooLarge(message, filename=name, limit=limit)


def too_many_chars(name: str, limit: int) -> DocumentTooLarge:
    return too_large(f"'{name}' has more than {limit} characters of text; the limit is {limit}.", limit, name=name)


def overran(name: str, seconds: float) -> ParseBudgetExceeded:
    return ParseBudgetExceeded(
        f"Reading '{name}' took longer than {seconds:g} s (ingest.max_parse_seconds); it was stopped.",
        filename=name,
        limit_s=seconds,
    )


def out_of_memory(name: str, limit: int) -> DocumentTooLarge:
    return too_large(
        f"Reading '{name}' needed more than {limit} bytes of memory (ingest.max_parse_memory_bytes).", limit, name=name
    )
