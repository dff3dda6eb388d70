"""What ingestion reads, splits and locks with: document reader, text splitter, per-document locks."""

from __future__ import annotations

from collections.abc import Callable

from autbot.entrypoints.settings import Settings
from autbot.ports.document_locks import DocumentLocks
from autbot.ports.document_reader import DocumentReader
from autbot.ports.text_splitter import TextSplitter


def document_reader(s: Settings) -> DocumentReader:
    """Every uploaded file is parsed in a worker process (started on the first upload) within one budget."""
    from autbot.adapters.readers.budget import ParseLimits
    from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
    from autbot.adapters.readers.runners import ProcessParseRunner

    i = s.ingest
    limits = ParseLimits(
        max_pages=i.max_pdf_pages,
        max_decompressed_bytes=i.max_decompressed_bytes,
        max_chars=i.max_document_chars,
        max_seconds=i.max_parse_seconds,
        max_memory_bytes=i.max_parse_memory_bytes,
    )
    return MultiFormatDocumentReader(
        max_bytes=i.max_file_bytes, runner=ProcessParseRunner(limits, workers=i.parse_workers)
    )


def text_splitter(s: Settings) -> TextSplitter:
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter

    return LlamaIndexTextSplitter(chunk_size=s.splitter.chunk_size, chunk_overlap=s.splitter.chunk_overlap)


def splitter_factory(s: Settings) -> Callable[[int, int], TextSplitter]:
    """Splitters of a generation's own chunking (a re-index that names one): (chunk size, overlap) in tokens."""
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter

    def make(chunk_size: int, chunk_overlap: int) -> TextSplitter:
        return LlamaIndexTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)

    return make


def document_locks() -> DocumentLocks:
    from autbot.adapters.locks.in_process import InProcessDocumentLocks

    return InProcessDocumentLocks()
