"""Reads .txt, .md, .html, .pdf and .json files into text."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import PurePath
from typing import Any

from autbot.adapters.readers.pdf import InProcessPdfParser, PdfParser
from autbot.domain import limits
from autbot.domain.errors import DocumentTooLarge, EmptyDocument, InvalidEncoding, InvalidInput, UnsupportedMediaType
from autbot.domain.model import check_nesting
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
    """``pdf`` extracts PDF text within its limits (default: in the calling thread; the server wires a
    ``ProcessPdfParser``, see ``readers/pdf.py``). JSON files may nest ``limits.MAX_JSON_DEPTH`` levels."""

    def __init__(self, *, max_bytes: int = limits.MAX_FILE_BYTES, pdf: PdfParser | None = None) -> None:
        self._max_bytes = max_bytes
        self._pdf = pdf or InProcessPdfParser()

    @property
    def accepted(self) -> tuple[str, ...]:
        return ACCEPTED + tuple(sorted(_BY_EXTENSION))

    def read(self, data: bytes, *, media_type: str | None, filename: str | None) -> ReadDocument:
        kind = self._kind(media_type, filename)
        if len(data) > self._max_bytes:
            raise DocumentTooLarge(
                f"'{filename or 'upload'}' is {len(data)} bytes; the limit is {self._max_bytes}.",
                filename=filename,
                limit=self._max_bytes,
            )
        if not data.strip():
            raise EmptyDocument(f"'{filename or 'upload'}' is empty.", filename=filename)
        title = PurePath(filename).stem if filename else None
        if kind == "application/pdf":
            pdf = self._pdf.extract(data, name=filename or "upload")
            text, meta = pdf.text, {"pages": pdf.pages}
        else:
            raw = _decode(data, filename)
            if kind == "text/html":
                text, html_title = _html(raw)
                title = html_title or title
                meta = {}
            elif kind == "application/json":
                text, meta = _json(raw, filename)
            else:
                text, meta = raw, {}
        text = text.replace("\x00", "").strip()
        if not text:
            raise EmptyDocument(f"'{filename or 'upload'}' contains no text.", filename=filename)
        return ReadDocument(text=text, title=title, metadata={"media_type": kind, **meta})

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


def _decode(data: bytes, filename: str | None) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InvalidEncoding(f"'{filename}' is not valid UTF-16.", filename=filename) from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidEncoding(
            f"'{filename or 'upload'}' is not valid UTF-8 (byte {e.start}); convert it to UTF-8 first.",
            filename=filename,
            position=e.start,
        ) from e


class _TextOnly(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
    _BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: str | None = None
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data.strip()
        elif not self._skip:
            self.parts.append(data)


def _html(raw: str) -> tuple[str, str | None]:
    parser = _TextOnly()
    parser.feed(raw)
    parser.close()
    text = re.sub(r"[ \t]+", " ", "".join(parser.parts))
    text = re.sub(r"\n\s*\n+", "\n\n", text)
    return text.strip(), parser.title or None


def _json(raw: str, filename: str | None) -> tuple[str, dict[str, Any]]:
    name = f"'{filename or 'upload'}'"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"{name} is not valid JSON (line {e.lineno}, column {e.colno}).", filename=filename) from e
    except RecursionError as e:
        raise InvalidInput(f"{name} is nested more than {limits.MAX_JSON_DEPTH} levels deep.", filename=filename) from e
    check_nesting(value, field=name)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return value["text"], {}
    lines: list[str] = []
    _flatten(value, "", lines)
    return "\n".join(lines), {}


def _flatten(value: Any, path: str, out: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out)
    elif value is not None:
        out.append(f"{path}: {value}" if path else str(value))
