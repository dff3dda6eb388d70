"""PDF text extraction within a parse budget (``budget.ParseLimits``).

A few KB of PDF can inflate to megabytes of content streams, hold thousands of pages, or nest deeply
enough to exhaust pypdf's recursion: the character limit on documents only applies once that work is
done. So the parse checks, besides the time and memory every format gets (``runners.py``):

- pages (``ingest.max_pdf_pages``), before any text is extracted: 413 ``document_too_large``;
- decompressed bytes (``ingest.max_decompressed_bytes``): pypdf's own per-stream decompression limits
  (its ``Configuration``) and a running total over the pages' content streams: 413;
- characters of text (``ingest.max_document_chars``): extraction stops as soon as they are exceeded: 413;
- time (``ingest.max_parse_seconds``), between pages: the worker process enforces it strictly.

Whatever else pypdf raises is turned into 422 ``document_unparseable`` by ``formats.extract``.
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

from autbot.adapters.readers.budget import Extracted, ParseLimits, overran, too_large, too_many_chars

if TYPE_CHECKING:
    from pypdf import PdfReader


def extract_pdf(data: bytes, limits: ParseLimits, name: str) -> Extracted:
    """The text of a PDF's pages within ``limits``, and its page count as metadata."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    cap = limits.max_decompressed_bytes
    budget = apply_configuration(  # pypdf's own limits, per stream and per page tree
        zlib_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        brotli_maximum_output_length=cap,
        jbig2_maximum_output_length=cap,
        array_based_stream_maximum_output_length=cap,
        page_tree_maximum_entries=2 * limits.max_pages + 64,  # pages and the /Pages nodes above them
    )
    try:
        with budget:
            reader = PdfReader(io.BytesIO(data))
            count = len(reader.pages)
            if count > limits.max_pages:
                raise too_large(
                    f"'{name}' has {count} pages; the limit is {limits.max_pages}.", limits.max_pages, name=name
                )
            text = _pages_text(reader, limits, name)
    except LimitReachedError as e:  # pypdf's own budgets: decompression, page tree, tokens per stream
        raise too_large(f"'{name}' exceeds a PDF parsing limit ({e}).", cap, name=name) from e
    return Extracted(text=_valid_unicode(text), metadata={"pages": count})


def _pages_text(reader: PdfReader, limits: ParseLimits, name: str) -> str:
    deadline = time.monotonic() + limits.max_seconds
    parts: list[str] = []
    chars = inflated = 0
    for page in reader.pages:
        if time.monotonic() > deadline:
            raise overran(name, limits.max_seconds)
        contents = page.get_contents()
        inflated += len(contents.get_data()) if contents is not None else 0
        if inflated > limits.max_decompressed_bytes:
            cap = limits.max_decompressed_bytes
            raise too_large(f"'{name}' inflates to more than {cap} bytes; the limit is {cap}.", cap, name=name)
        text = (page.extract_text() or "").strip()
        chars += len(text)
        if chars > limits.max_chars:
            raise too_many_chars(name, limits.max_chars)
        if text:
            parts.append(text)
    return "\n\n".join(parts)


def _valid_unicode(text: str) -> str:
    """Lone surrogates (from odd font maps) replaced, so the text is valid UTF-8 for every store."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
