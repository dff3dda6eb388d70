"""PDF text extraction within a budget, in-process or in a worker process that is killed when it overruns.

A few KB of PDF can inflate to megabytes of content streams, hold thousands of pages, or nest deeply
enough to exhaust pypdf's recursion: the character limit on documents only applies once that work is
done. So every parse runs under limits:

- pages (``ingest.max_pdf_pages``), checked before any text is extracted: 413 ``document_too_large``;
- decompressed bytes (``ingest.max_decompressed_bytes``): pypdf's own per-stream decompression limits
  (its ``Configuration``) and a running total over the pages' content streams: 413;
- characters of text (``ingest.max_document_chars``): extraction stops as soon as they are exceeded: 413;
- time (``ingest.max_parse_seconds``): ``ProcessPdfParser`` parses in a child process (forked from a
  small fork server, never from the server process with its threads) and kills it when it overruns: 422
  ``parse_budget_exceeded``. Parses run at most ``workers`` at once, off the event loop.

Whatever else pypdf raises (a malformed file, ``RecursionError`` on deep nesting, a crash of the worker)
is 422 ``document_unparseable``.
"""

from __future__ import annotations

import io
import multiprocessing
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

from autbot.domain import limits as default
from autbot.domain.errors import AutbotError, DocumentTooLarge, DocumentUnparseable, Overloaded, ParseBudgetExceeded


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfLimits:
    max_pages: int = default.MAX_PDF_PAGES
    max_decompressed_bytes: int = default.MAX_DECOMPRESSED_BYTES
    max_chars: int = default.MAX_DOCUMENT_CHARS
    max_seconds: float = default.MAX_PARSE_SECONDS


@dataclass(frozen=True, slots=True)
class PdfText:
    text: str
    pages: int


class PdfParser(Protocol):
    """How the document reader gets a PDF's text (a reader-internal seam, not a port)."""

    def extract(self, data: bytes, *, name: str) -> PdfText: ...


def extract_pdf(data: bytes, limits: PdfLimits, *, name: str) -> PdfText:
    """The text of a PDF's pages within ``limits``; raises ``DocumentTooLarge``, ``ParseBudgetExceeded``
    (checked between pages only: a worker process enforces the time limit strictly) or ``DocumentUnparseable``."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    deadline = time.monotonic() + limits.max_seconds
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
                raise _too_large(f"'{name}' has {count} pages; the limit is {limits.max_pages}.", limits.max_pages)
            parts: list[str] = []
            chars = inflated = 0
            for page in reader.pages:
                if time.monotonic() > deadline:
                    raise _overran(name, limits.max_seconds)
                contents = page.get_contents()
                inflated += len(contents.get_data()) if contents is not None else 0
                if inflated > cap:
                    raise _too_large(f"'{name}' inflates to more than {cap} bytes; the limit is {cap}.", cap)
                text = (page.extract_text() or "").strip()
                chars += len(text)
                if chars > limits.max_chars:
                    raise _too_large(
                        f"'{name}' has more than {limits.max_chars} characters of text; the limit is "
                        f"{limits.max_chars}.",
                        limits.max_chars,
                    )
                if text:
                    parts.append(text)
    except AutbotError:
        raise
    except LimitReachedError as e:  # pypdf's own budgets: decompression, page tree, tokens per stream
        raise _too_large(f"'{name}' exceeds a PDF parsing limit ({e}).", cap) from e
    except RecursionError as e:
        raise DocumentUnparseable(f"'{name}' is nested too deeply to parse.", filename=name) from e
    except PyPdfError as e:
        raise DocumentUnparseable(f"'{name}' is not a readable PDF: {e}", filename=name) from e
    except Exception as e:  # pypdf on hostile input raises plain ValueError, KeyError, TypeError, ...
        raise DocumentUnparseable(f"'{name}' is not a readable PDF ({type(e).__name__}).", filename=name) from e
    return PdfText(text=_valid_unicode("\n\n".join(parts)), pages=count)


def _valid_unicode(text: str) -> str:
    """Lone surrogates (from odd font maps) replaced, so the text is valid UTF-8 for every store."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _too_large(message: str, limit: int) -> DocumentTooLarge:
    return DocumentTooLarge(message, limit=limit)


def _overran(name: str, seconds: float) -> ParseBudgetExceeded:
    return ParseBudgetExceeded(
        f"Reading '{name}' took longer than {seconds:g} s (ingest.max_parse_seconds); it was stopped.",
        filename=name,
        limit_s=seconds,
    )


class InProcessPdfParser:
    """Parses in the calling thread (tests, tools). The time limit is only checked between pages."""

    def __init__(self, limits: PdfLimits | None = None) -> None:
        self._limits = limits or PdfLimits()

    def extract(self, data: bytes, *, name: str) -> PdfText:
        return extract_pdf(data, self._limits, name=name)


class ProcessPdfParser:
    """Parses each PDF in a fresh worker process, at most ``workers`` at once, each killed when it runs past
    ``limits.max_seconds``. Workers fork from a fork server started on the first PDF (nothing at import or
    start-up), which has only this module and pypdf loaded. A caller that waits longer than the time limit
    for a free worker gets 503 ``server_busy``. As with any ``multiprocessing`` start method but ``fork``, a
    worker imports the main script: a script that builds the app must guard it with ``if __name__ ==
    "__main__"`` (``autbot``, ``python -m autbot.entrypoints.cli`` and uvicorn do)."""

    _GRACE_S = 2.0
    """Added to the time limit for the worker's start and the result's transfer."""

    def __init__(self, limits: PdfLimits | None = None, *, workers: int = default.PARSE_WORKERS) -> None:
        self._limits = limits or PdfLimits()
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._context: Any = None
        self._lock = threading.Lock()

    def extract(self, data: bytes, *, name: str) -> PdfText:
        if not self._slots.acquire(timeout=self._limits.max_seconds):
            raise Overloaded("Every PDF worker is busy; try again shortly.", retry_after_s=default.BUSY_RETRY_AFTER_S)
        try:
            return self._run(data, name)
        finally:
            self._slots.release()

    def _run(self, data: bytes, name: str) -> PdfText:
        ctx = self._ctx()
        receive, send = ctx.Pipe(duplex=False)
        worker = ctx.Process(target=_work, args=(send, data, self._limits, name), daemon=True)
        try:
            worker.start()
        except OSError as e:  # no process could be started (a resource limit): the server is at capacity
            receive.close()
            raise Overloaded("No PDF worker could be started; try again shortly.") from e
        finally:
            send.close()  # the worker holds the only write end: EOF on our side means it died
        try:
            if not receive.poll(self._limits.max_seconds + self._GRACE_S):
                raise _overran(name, self._limits.max_seconds)
            try:
                outcome = receive.recv()
            except EOFError as e:  # the worker died without answering (a crash in native code, OOM kill)
                raise DocumentUnparseable(f"The PDF parser failed on '{name}'.", filename=name) from e
        finally:
            if worker.is_alive():
                worker.kill()
            worker.join(5)
            receive.close()
        if isinstance(outcome, PdfText):
            return outcome
        error_type, message, details = outcome
        raise error_type(message, **details)

    def _ctx(self) -> Any:
        with self._lock:
            if self._context is None:
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload([__name__, "pypdf"])  # not '__main__': the fork server stays small
                self._context = ctx
            return self._context


def _work(send: Connection, data: bytes, limits: PdfLimits, name: str) -> None:
    """The worker: parse, send the text or the error (its class, message and details), exit."""
    try:
        result: Any = extract_pdf(data, limits, name=name)
    except AutbotError as e:
        result = (type(e), e.message, e.details)
    except BaseException as e:
        result = (DocumentUnparseable, f"The PDF parser failed on '{name}' ({type(e).__name__}).", {"filename": name})
    send.send(result)
    send.close()
