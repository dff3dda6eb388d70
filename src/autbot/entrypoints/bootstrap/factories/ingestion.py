"""What ingestion reads, splits and locks with: document reader, text splitter, per-document locks."""

from __future__ import annotations

from autbot.entrypoints.settings import Settings
from autbot.ports.document_locks import DocumentLocks
from autbot.ports.document_reader import DocumentReader
from autbot.ports.text_splitter import TextSplitter


def document_reader(s: Settings) -> DocumentReader:
    """PDFs are parsed in worker processes, started on the first PDF."""
    from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
    from autbot.adapters.readers.pdf import PdfLimits, ProcessPdfParser

    i = s.ingest
    limits = PdfLimits(
        max_pages=i.max_pdf_pages,
        max_decompressed_bytes=i.max_decompressed_bytes,
        max_chars=i.max_document_chars,
        max_seconds=i.max_parse_seconds,
    )
    return MultiFormatDocumentReader(max_bytes=i.max_file_bytes, pdf=ProcessPdfParser(limits, workers=i.parse_workers))


def text_splitter(s: Settings) -> TextSplitter:
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter

    return LlamaIndexTextSplitter(chunk_size=s.splitter.chunk_size, chunk_overlap=s.splitter.chunk_overlap)


def document_locks() -> DocumentLocks:
    from autbot.adapters.locks.in_process import InProcessDocumentLocks

    return InProcessDocumentLocks()
