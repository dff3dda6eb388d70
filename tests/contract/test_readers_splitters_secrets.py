"""Contracts of the small ports: DocumentReader, TextSplitter, SecretStore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.adapters.secrets.stores import EnvSecretStore, FileSecretStore, StaticSecretStore
from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.domain.errors import DocumentTooLarge, EmptyDocument, InvalidEncoding, InvalidInput, UnsupportedMediaType
from autbot.ports.document_reader import DocumentReader
from autbot.ports.secret_store import SecretStore
from autbot.ports.text_splitter import TextSplitter
from tests.support.documents import make_pdf


@pytest.fixture
def reader() -> DocumentReader:
    return MultiFormatDocumentReader(max_bytes=10_000)


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
    with pytest.raises(InvalidInput):
        reader.read(b"%PDF-1.4 garbage", media_type=None, filename="x.pdf")


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


@pytest.fixture(params=["static", "env", "file"])
def secrets(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretStore:
    if request.param == "static":
        return StaticSecretStore({"api_key": "s3cret"})
    if request.param == "env":
        monkeypatch.setenv("AUTBOT_SECRET_API_KEY", "s3cret")
        return EnvSecretStore()
    (tmp_path / "api_key").write_text("s3cret\n")
    return FileSecretStore(directory=str(tmp_path))


def test_secret_store_contract(secrets: SecretStore) -> None:
    assert isinstance(secrets, SecretStore)
    assert secrets.get("api_key") == "s3cret"
    assert secrets.get("missing") is None
    assert "s3cret" not in repr(secrets)
