"""What is embedded for a chunk.

A chunk from the middle of a document often never names its subject ("It was completed in 1889."), so
its vector alone cannot match a question about that subject. The document's title is embedded with every
chunk; the chunk's stored and returned text stays the passage itself (citations quote the document).
"""

from __future__ import annotations

TITLE_SEPARATOR = "\n\n"


def embedding_text(title: str | None, text: str) -> str:
    """The text embedded for a chunk: its document's title (if any), a blank line, then the chunk."""
    title = (title or "").strip()
    return f"{title}{TITLE_SEPARATOR}{text}" if title else text
