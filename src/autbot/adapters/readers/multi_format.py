"""Reads .txt, .md, .html, .pdf and .json files into text, each parsed within one budget (``runners.py``)."""

from __future__ import annotations

from pathlib import PurePath

from autbot.adapters.readers.runners import InProcessParseRunner, ParseRunner
from autbot.domain import limits
from autbot.domain.errors import DocumentTooLarge, EmptyDocument, UnsupportedMediaType
from autbot.ports.document_reader import ReadDocument

_BY_EXTENSION = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".json": "application/json",
}
_ALIASES = {"text/x-markdown": "text/markdown", "application/xhtml+xml": "text/html"}
ACCEPTED = ("text/plain", "text/markdown", "text/html", "application/pdf", "application/json")


class MultiFormatDocumentReader:
    """Every file is parsed by ``runner`` (default: in the calling thread; the server wires a
    ``ProcessParseRunner``, which parses in worker processes within time and memory limits). JSON files may nest
    ``limits.MAX_JSON_DEPTH`` levels. A title (the HTML ``<title>``, else the file name) longer than
    ``limits.MAX_TITLE_CHARS`` is cut to it."""

    def __init__(self, *, max_bytes: int = limits.MAX_FILE_BYTES, runner: ParseRunner | None = None) -> None:
        self._max_bytes = max_bytes
        self._runner = runner or InProcessParseRunner()

    @property
    def accepted(self) -> tuple[str, ...]:
        return ACCEPTED + tuple(sorted(_BY_EXTENSION))

    def read(self, data: bytes, *, media_type: str | None, filename: str | None) -> ReadDocument:
        kind = self._kind(media_type, filename)
        name = filename or "upload"
        if len(data) > self._max_bytes:
            raise DocumentTooLarge(
                f"'{name}' is {len(data)} bytes; the limit is {self._max_bytes}.",
                filename=filename,
                limit=self._max_bytes,
            )
        if not data.strip():
            raise EmptyDocument(f"'{name}' is empty.", filename=filename)
        found = self._runner.run(kind, data, name=name)
        text = found.text.replace("\x00", "").strip()
        if not text:
            raise EmptyDocument(f"'{name}' contains no text.", filename=filename)
        title = _title(found.title or (PurePath(filename).stem if filename else None))
        return ReadDocument(text=text, title=title, metadata={"media_type": kind, **found.metadata})

    def _kind(self, media_type: str | None, filename: str | None) -> str:
        ext = PurePath(filename).suffix.lower() if filename else ""
        if ext in _BY_EXTENSION:
            return _BY_EXTENSION[ext]
        base = (media_type or "").split(";")[0].strip().lower()
        base = _ALIASES.get(base, base)
        if base in ACCEPTED:
            return base
        raise UnsupportedMediaType(
            f"'{filename or 'upload'}' ({base or 'unknown type'}) is not supported. "
            f"Accepted: {', '.join(ACCEPTED)} ({', '.join(sorted(_BY_EXTENSION))}).",
            filename=filename,
            media_type=base or None,
            accepted=list(ACCEPTED),
        )


def _title(title: str | None) -> str | None:
    """A title as long as a document's may be: longer ones are cut (a file is not refused for its title)."""
    cut = (title or "")[: limits.MAX_TITLE_CHARS].strip()
    return cut or None
