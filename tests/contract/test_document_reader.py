"""The DocumentReader contract: the multi-format reader, with PDFs parsed in process and in worker processes."""

from __future__ import annotations

import json

import pytest

from autbot.adapters.readers.budget import ParseLimits
from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.adapters.readers.runners import InProcessParseRunner, ParseRunner, ProcessParseRunner
from autbot.domain.errors import (
    DocumentTooLarge,
    DocumentUnparseable,
    EmptyDocument,
    InvalidEncoding,
    InvalidInput,
    ParseBudgetExceeded,
    UnsupportedMediaType,
)
from autbot.ports.document_reader import DocumentReader
from tests.support.documents import make_pdf, pdf_bomb, pdf_deeply_nested, pdf_many_pages, pdf_text_bomb

RUNNERS = ["in_process", pytest.param("worker_process", marks=pytest.mark.slow)]
"""How the reader parses files: in the calling thread, or in worker processes (as the server does)."""


def _runner(kind: str, limits: ParseLimits) -> ParseRunner:
    return InProcessParseRunner(limits) if kind == "in_process" else ProcessParseRunner(limits, workers=1)


@pytest.fixture(params=RUNNERS)
def reader(request: pytest.FixtureRequest) -> DocumentReader:
    return MultiFormatDocumentReader(max_bytes=10_000, runner=_runner(request.param, ParseLimits()))


@pytest.mark.parametrize(
    ("name", "data", "expected", "title"),
    [
        ("notes.txt", b"plain words here", "plain words here", "notes"),
        ("readme.md", b"# Title\n\nSome *markdown*.", "# Title\n\nSome *markdown*.", "readme"),
        (
            "page.html",
            b"<html><head><title>Page T</title><script>x()</script></head><body><p>Hello</p>"
            b"<p>World &amp; more</p></body></html>",
            "Hello\n\nWorld & more",
            "Page T",
        ),
        ("data.json", json.dumps({"text": "json text field"}).encode(), "json text field", "data"),
        ("flat.json", json.dumps({"a": {"b": 1}, "c": ["x"]}).encode(), "a.b: 1\nc[0]: x", "flat"),
        ("doc.pdf", make_pdf("Hello from a PDF"), "Hello from a PDF", "doc"),
        ("bom.txt", b"\xef\xbb\xbfwith bom", "with bom", "bom"),
    ],
)
def test_reads_supported_formats(reader: DocumentReader, name: str, data: bytes, expected: str, title: str) -> None:
    doc = reader.read(data, media_type=None, filename=name)
    assert doc.text == expected
    assert doc.title == title
    assert doc.metadata["media_type"] in reader.accepted


def test_media_type_is_used_without_an_extension(reader: DocumentReader) -> None:
    assert reader.read(b"<p>x</p>", media_type="text/html; charset=utf-8", filename="blob").text == "x"


def test_specific_errors(reader: DocumentReader) -> None:
    with pytest.raises(UnsupportedMediaType) as e:
        reader.read(b"MZ", media_type="application/octet-stream", filename="tool.exe")
    assert "text/plain" in e.value.message
    assert e.value.details["accepted"]
    with pytest.raises(InvalidEncoding):
        reader.read(b"caf\xe9 latin-1", media_type=None, filename="x.txt")
    with pytest.raises(EmptyDocument):
        reader.read(b"   \n", media_type=None, filename="x.txt")
    with pytest.raises(EmptyDocument):
        reader.read(b"<script>only()</script>", media_type=None, filename="x.html")
    with pytest.raises(DocumentTooLarge):
        reader.read(b"x" * 10_001, media_type=None, filename="x.txt")
    with pytest.raises(InvalidInput):
        reader.read(b"{not json", media_type=None, filename="x.json")
    with pytest.raises(DocumentUnparseable):
        reader.read(b"%PDF-1.4 garbage", media_type=None, filename="x.pdf")


@pytest.mark.parametrize("kind", RUNNERS)
def test_hostile_pdfs_are_refused_within_budget(kind: str) -> None:
    limits = ParseLimits(max_pages=50, max_decompressed_bytes=4_000_000, max_chars=10_000, max_seconds=3.0)
    reader = MultiFormatDocumentReader(runner=_runner(kind, limits))

    def read(data: bytes) -> str:
        return reader.read(data, media_type=None, filename="x.pdf").text

    with pytest.raises(DocumentTooLarge, match="limit"):
        read(pdf_bomb(50_000_000))  # inflates past max_decompressed_bytes
    with pytest.raises(DocumentTooLarge, match="51 pages"):
        read(pdf_many_pages(51))
    with pytest.raises(DocumentTooLarge, match="characters"):
        read(make_pdf("many words " * 1_000))
    with pytest.raises(DocumentUnparseable, match="nested"):
        read(pdf_deeply_nested(50_000))
    if kind == "worker_process":  # in-process, the time limit is only checked between pages
        slow = MultiFormatDocumentReader(runner=_runner(kind, ParseLimits(max_seconds=3.0)))
        with pytest.raises(ParseBudgetExceeded):  # within the byte limits, minutes of CPU: the worker is killed
            slow.read(pdf_text_bomb(), media_type=None, filename="x.pdf")
    assert read(make_pdf("Still reading after all that")) == "Still reading after all that"
