"""Every uploaded format is parsed through one runner under one budget, and whatever a parser raises on the
client's bytes is a client error: a document or a 4xx domain error, never anything else (issue: HTML parsing
was quadratic, unbudgeted, and two uploads answered 500)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autbot.adapters.readers import formats
from autbot.adapters.readers.budget import Extracted, ParseLimits
from autbot.adapters.readers.multi_format import ACCEPTED, MultiFormatDocumentReader
from autbot.adapters.readers.runners import InProcessParseRunner, ProcessParseRunner
from autbot.domain import limits
from autbot.domain.errors import (
    DocumentTooLarge,
    DocumentUnparseable,
    EmptyDocument,
    InvalidEncoding,
    InvalidInput,
    ParseBudgetExceeded,
)
from autbot.entrypoints.http.errors.problems import status_of
from autbot.ports.document_reader import ReadDocument
from tests.support.documents import deep_json, make_pdf
from tests.support.hostile import BIG_INT, HOSTILE_FILES, MARKUP

EXTENSIONS = {"text/plain": "txt", "text/markdown": "md", "text/html": "html", "application/pdf": "pdf"}
EXTENSIONS["application/json"] = "json"


class RecordingRunner:
    """Parses in the calling thread and remembers which formats it was asked for."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self._inner = InProcessParseRunner()

    def run(self, kind: str, data: bytes, *, name: str) -> Extracted:
        self.kinds.append(kind)
        return self._inner.run(kind, data, name=name)


def test_every_format_is_parsed_by_the_runner() -> None:
    runner = RecordingRunner()
    reader = MultiFormatDocumentReader(runner=runner)
    samples = {
        "a.txt": b"plain",
        "b.md": b"# mark",
        "c.html": b"<p>html</p>",
        "d.pdf": make_pdf("pdf"),
        "e.json": b'{"k": "json"}',
    }
    for name, data in samples.items():
        reader.read(data, media_type=None, filename=name)
    assert sorted(runner.kinds) == sorted(ACCEPTED)
    assert sorted(formats.PARSERS) == sorted(ACCEPTED)


@pytest.mark.parametrize(
    "error",
    [AssertionError("expected name token"), ValueError("x"), KeyError("k"), TypeError("t"), IndexError("i")],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("kind", ACCEPTED)
def test_any_exception_of_a_parser_is_document_unparseable(
    monkeypatch: pytest.MonkeyPatch, kind: str, error: Exception
) -> None:
    def failing(data: bytes, budget: ParseLimits, name: str) -> Extracted:
        raise error

    monkeypatch.setitem(formats.PARSERS, kind, failing)
    with pytest.raises(DocumentUnparseable) as caught:
        MultiFormatDocumentReader().read(b"some bytes", media_type=kind, filename=None)
    assert type(error).__name__ in caught.value.message
    assert status_of(caught.value) == 422


def test_recursion_and_memory_errors_are_client_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(data: bytes, budget: ParseLimits, name: str) -> Extracted:
        raise RecursionError

    def hungry(data: bytes, budget: ParseLimits, name: str) -> Extracted:
        raise MemoryError

    reader = MultiFormatDocumentReader()
    monkeypatch.setitem(formats.PARSERS, "text/html", deep)
    with pytest.raises(DocumentUnparseable, match="nested too deeply"):
        reader.read(b"<p>", media_type=None, filename="x.html")
    monkeypatch.setitem(formats.PARSERS, "text/html", hungry)
    with pytest.raises(DocumentTooLarge, match="max_parse_memory_bytes"):
        reader.read(b"<p>", media_type=None, filename="x.html")


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_the_files_that_tripped_a_parser_are_4xx(name: str) -> None:
    data, status, code = HOSTILE_FILES[name]
    with pytest.raises(InvalidInput) as caught:
        MultiFormatDocumentReader().read(data, media_type=None, filename=name)
    assert (status_of(caught.value), caught.value.code) == (status, code), caught.value.message
    assert len(caught.value.message) < 1000


def test_a_json_number_too_long_says_so() -> None:
    with pytest.raises(DocumentUnparseable, match="number too long"):
        MultiFormatDocumentReader().read(b'{"n": ' + BIG_INT.encode() + b"}", media_type=None, filename="n.json")
    digits = "9" * 4_000  # within the interpreter's limit: read as text
    read = MultiFormatDocumentReader().read(f'{{"n": {digits}}}'.encode(), media_type=None, filename="n.json")
    assert read.text == f"n: {digits}"


def test_html_that_html_parser_could_not_read_is_read() -> None:
    read = MultiFormatDocumentReader().read(b"<p>before</p><![ x", media_type=None, filename="x.html")
    assert read.text == "before"


def test_a_long_title_is_cut_not_refused() -> None:
    reader = MultiFormatDocumentReader()
    long_title = "T" * (limits.MAX_TITLE_CHARS + 100)
    page = f"<html><head><title>{long_title}</title></head><body><p>body</p></body></html>".encode()
    read = reader.read(page, media_type=None, filename="page.html")
    assert read.title == "T" * limits.MAX_TITLE_CHARS
    named = reader.read(b"text", media_type=None, filename="n" * (limits.MAX_TITLE_CHARS + 5) + ".txt")
    assert named.title == "n" * limits.MAX_TITLE_CHARS


def test_json_paths_cannot_inflate_past_the_character_limit() -> None:
    """60 KB of keys under a list of 10,000 items would flatten to 600 million characters."""
    reader = MultiFormatDocumentReader(runner=InProcessParseRunner(ParseLimits(max_chars=100_000)))
    with pytest.raises(DocumentTooLarge, match="characters"):
        reader.read(json.dumps({"k" * 60_000: [0] * 10_000}).encode(), media_type=None, filename="p.json")
    deep_keys: dict[str, dict[str, dict[str, int]]] = {
        "k" * 60_000: {"k" * 60_000: {}}
    }  # a path longer than the limit, without any value under it
    with pytest.raises(DocumentTooLarge, match="characters"):
        reader.read(json.dumps(deep_keys).encode(), media_type=None, filename="p.json")
    with pytest.raises(DocumentTooLarge, match="characters"):
        reader.read(b"x" * 100_001, media_type=None, filename="p.txt")
    assert reader.read(json.dumps({"a": [1, {"b": None, "c": True}]}).encode(), media_type=None, filename="ok.json")


# --- fuzzing: random markup and bytes into every format -------------------------------------------------------
markup = st.lists(st.sampled_from(MARKUP) | st.text(max_size=8), max_size=60).map("".join)
json_like = st.lists(
    st.sampled_from(["[", "]", "{", "}", '"k":', ",", "1", BIG_INT[:4_400], "1e999", "-0", '"\\ud800"', "null"]),
    max_size=40,
).map("".join)
payloads = st.one_of(
    markup.map(str.encode), json_like.map(str.encode), st.binary(max_size=400), st.just(deep_json(64).encode())
)
kinds = st.sampled_from(ACCEPTED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payloads, kind=kinds)
def test_any_bytes_in_any_format_read_or_answer_4xx(data: bytes, kind: str) -> None:
    outcome = _read_or_error(data, kind)
    if isinstance(outcome, InvalidInput):  # every client error of the reader: 4xx with a stable code
        assert 400 <= status_of(outcome) < 500
        return
    read = outcome
    assert read.text.strip()
    assert "\x00" not in read.text
    assert read.title is None or len(read.title) <= limits.MAX_TITLE_CHARS
    read.text.encode("utf-8")  # no lone surrogate reaches a store


def _read_or_error(data: bytes, kind: str) -> ReadDocument | InvalidInput:
    try:
        return MultiFormatDocumentReader().read(data, media_type=None, filename=f"f.{EXTENSIONS[kind]}")
    except InvalidInput as e:
        return e


# --- the worker process: time and memory, without holding up other files -------------------------------------
@pytest.fixture
def workers() -> Iterator[ProcessParseRunner]:
    runner = ProcessParseRunner(ParseLimits(max_seconds=20.0, max_memory_bytes=256 * 1024 * 1024), workers=2)
    yield runner
    runner.close()


@pytest.mark.slow
def test_hostile_markup_is_read_within_the_budget(workers: ProcessParseRunner) -> None:
    """Sizes at which html.parser took many minutes (it was quadratic): Lexbor reads them within the budget."""
    reader = MultiFormatDocumentReader(runner=workers)
    for shape in (b"<a ", b"<a b='", b"<a b="):
        with pytest.raises(EmptyDocument):
            reader.read(shape * 100_000 + b"<p>", media_type=None, filename="x.html")
    assert reader.read(b"<p>x</p>" * 100_000, media_type=None, filename="x.html").text.startswith("x\n\nx")


@pytest.mark.slow
def test_a_slow_parse_is_stopped_and_others_go_on(workers: ProcessParseRunner) -> None:
    """Deep nesting costs every HTML5 tree builder time per level: the worker is killed at the time limit,
    while the other worker reads other files."""
    from concurrent.futures import ThreadPoolExecutor

    short = ProcessParseRunner(ParseLimits(max_seconds=4.0), workers=2)
    reader = MultiFormatDocumentReader(runner=short)
    try:
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(reader.read, b"<div>" * 400_000, media_type=None, filename="deep.html")
            for i in range(20):
                assert reader.read(f"file {i}".encode(), media_type=None, filename="a.txt").text == f"file {i}"
            assert not slow.done()
            with pytest.raises(ParseBudgetExceeded) as caught:
                slow.result()
        assert (status_of(caught.value), caught.value.code) == (422, "parse_budget_exceeded")
        assert reader.read(b"<p>after</p>", media_type=None, filename="x.html").text == "after"
    finally:
        short.close()


@pytest.mark.slow
def test_a_worker_that_runs_out_of_memory_is_a_client_error(workers: ProcessParseRunner) -> None:
    reader = MultiFormatDocumentReader(runner=workers)
    for name, data in (("tree.html", b"<x y=1>" * 2_000_000), ("list.json", b"[" + b"{}," * 5_000_000 + b"0]")):
        with pytest.raises((DocumentTooLarge, DocumentUnparseable)) as caught:
            reader.read(data, media_type=None, filename=name)
        assert 400 <= status_of(caught.value) < 500
    assert reader.read(b"still here", media_type=None, filename="a.txt").text == "still here"


@pytest.mark.slow
def test_the_worker_translates_what_a_parser_raises_as_the_calling_thread_does(workers: ProcessParseRunner) -> None:
    reader = MultiFormatDocumentReader(runner=workers)
    for name, (data, status, code) in HOSTILE_FILES.items():
        with pytest.raises(InvalidInput) as caught:
            reader.read(data, media_type=None, filename=name)
        assert (status_of(caught.value), caught.value.code) == (status, code)


def test_a_lone_surrogate_escaped_in_json_is_invalid_encoding() -> None:
    """JSON's ``\\ud800`` escape decodes to a lone surrogate: the reader refuses it, nothing reaches a store."""
    with pytest.raises(InvalidEncoding):
        MultiFormatDocumentReader().read(b'{"text": "a \\ud800 b"}', media_type=None, filename="s.json")
