"""Contracts of the small ports: DocumentReader, TextSplitter, SecretStore."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autbot.adapters.readers.budget import ParseLimits
from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.adapters.readers.runners import InProcessParseRunner, ParseRunner, ProcessParseRunner
from autbot.adapters.secrets.stores import EnvSecretStore, FileSecretStore, StaticSecretStore
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
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
from autbot.ports.secret_store import SecretStore
from autbot.ports.text_splitter import TextSplitter
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


@pytest.fixture(params=["llama_index"])
def splitter(request: pytest.FixtureRequest) -> TextSplitter:
    return LlamaIndexTextSplitter(chunk_size=64, chunk_overlap=8)


def test_splitter_contract(splitter: TextSplitter) -> None:
    assert isinstance(splitter, TextSplitter)
    assert splitter.split("One short sentence.") == ["One short sentence."]
    long = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    chunks = splitter.split(long)
    assert len(chunks) > 5
    assert all(c.strip() for c in chunks)
    assert chunks[0].startswith("Sentence number 0")
    assert chunks[-1].endswith("topic 3.")


@dataclass
class SecretSource:
    store: SecretStore
    write: Callable[[str, str | None], None]
    """Change a secret where the operator would (``None`` removes it): a rotation."""


@pytest.fixture(params=["static", "env", "file"])
def source(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretSource:
    if request.param == "static":
        static = StaticSecretStore({"api_key": "s3cret"})
        return SecretSource(static, static.set)
    if request.param == "env":

        def setenv(name: str, value: str | None) -> None:
            if value is None:
                monkeypatch.delenv(f"AUTBOT_SECRET_{name.upper()}", raising=False)
            else:
                monkeypatch.setenv(f"AUTBOT_SECRET_{name.upper()}", value)

        setenv("api_key", "s3cret")
        return SecretSource(EnvSecretStore(), setenv)

    def write_file(name: str, value: str | None) -> None:
        target = tmp_path / name
        if value is None:
            target.unlink(missing_ok=True)
            return
        fresh = tmp_path / f".{name}.new"  # replaced atomically, as Kubernetes and `mv` do
        fresh.write_text(value + "\n")
        fresh.replace(target)

    write_file("api_key", "s3cret")
    return SecretSource(FileSecretStore(directory=str(tmp_path)), write_file)


def test_secret_store_contract(source: SecretSource) -> None:
    secrets = source.store
    assert isinstance(secrets, SecretStore)
    assert secrets.get("api_key") == "s3cret"
    assert secrets.get("missing") is None
    assert "s3cret" not in repr(secrets)


def test_a_rotated_secret_is_seen_by_the_next_get(source: SecretSource) -> None:
    secrets = source.store
    assert secrets.get("api_key") == "s3cret"
    source.write("api_key", "n3w-s3cret")
    assert secrets.get("api_key") == "n3w-s3cret"  # no restart, no refresh needed
    source.write("api_key", "")
    assert secrets.get("api_key") is None  # empty is missing
    source.write("api_key", None)
    assert secrets.get("api_key") is None
    source.write("api_key", "back")
    secrets.refresh()
    assert secrets.get("api_key") == "back"
    assert "back" not in repr(secrets)
