"""One parse of one file, whatever its format: the function a runner calls, in the calling thread or in a worker.

The bytes are the client's, so whatever a parser raises on them is the client's error, never a 500: an
``AutbotError`` as the format raised it, ``MemoryError`` as 413 ``document_too_large``, ``RecursionError`` and
any other exception as 422 ``document_unparseable`` (a parser's ``AssertionError`` or ``ValueError`` on markup
it did not expect).
Text longer than ``ingest.max_document_chars`` is 413 here, and text that is not valid Unicode (a lone surrogate)
400 ``invalid_encoding``, before it leaves the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from autbot.adapters.readers.budget import Extracted, ParseLimits, out_of_memory, too_many_chars
from autbot.adapters.readers.html_text import extract_html
from autbot.adapters.readers.pdf import extract_pdf
from autbot.adapters.readers.text import extract_json, extract_text
from autbot.domain.errors import AutbotError, DocumentUnparseable
from autbot.domain.model import check_text

Parse = Callable[[bytes, ParseLimits, str], Extracted]

PARSERS: Final[dict[str, Parse]] = {
    "text/plain": extract_text,
    "text/markdown": extract_text,
    "text/html": extract_html,
    "application/pdf": extract_pdf,
    "application/json": extract_json,
}
"""The parser of each accepted media type."""

_NAMES = {"text/html": "HTML", "application/pdf": "a PDF", "application/json": "JSON"}


def extract(kind: str, data: bytes, limits: ParseLimits, *, name: str) -> Extracted:
    """``data`` (of media type ``kind``, one of ``PARSERS``) read within ``limits``; only ``AutbotError``\\ s leave."""
    try:
        found = PARSERS[kind](data, limits, name)
    except AutbotError:
        raise
    except RecursionError as e:
        raise DocumentUnparseable(f"'{name}' is nested too deeply to parse.", filename=name) from e
    except MemoryError as e:
        raise out_of_memory(name, limits.max_memory_bytes) from e
    except Exception as e:  # a parser's failure on client bytes is the client's error
        raise unparseable(name, kind, e) from e
    if len(found.text) > limits.max_chars:
        raise too_many_chars(name, limits.max_chars)
    check_text(found.text, field=name)  # a format that decodes escapes (JSON's "\\ud800") can yield a lone surrogate
    if found.title is not None:
        check_text(found.title, field=name)
    return found


def unparseable(name: str, kind: str, error: BaseException) -> DocumentUnparseable:
    what = _NAMES.get(kind, "text")
    return DocumentUnparseable(
        f"'{name}' could not be read as {what} ({type(error).__name__}: {str(error)[:160]}).",
        filename=name,
        media_type=kind,
    )
