from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autbot.domain.access import AccessList
from autbot.domain.auth import Principal
from autbot.domain.errors import InvalidInput
from autbot.domain.model import DocumentInput, IngestOutcome
from autbot.ports.document_reader import DocumentReader
from autbot.use_cases.ingest import Ingestion, IngestRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadedFile:
    data: bytes
    filename: str | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestFilesRequest:
    principal: Principal
    """Who asks: a collection outside its key's list does not exist for it (404)."""
    collection: str
    files: tuple[UploadedFile, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Added to every file's metadata (it wins over what the reader found)."""
    access: AccessList | None = None
    """Every file's access list (``domain.access``); None: open."""
    embedder: str | None = None
    """As ``IngestRequest.embedder``: the model of a collection this request creates."""


class IngestFiles:
    """Ingest uploaded files (.txt .md .html .pdf .json) into a collection.

    Rules:
    - Each file is read into text, a title and metadata by the document reader; an unsupported type,
      an undecodable or empty file, or one over the size limit refuses the whole request.
    - Reading is bounded: every file, whatever its format, is parsed within a budget of time, memory and
      characters (``ingest.*``; a PDF's pages and inflated bytes too), away from the request threads, and
      stopped when it overruns (422 ``parse_budget_exceeded``); JSON files nest at most ``limits.MAX_JSON_DEPTH``
      levels. A file a parser fails on is 422 ``document_unparseable``; a title too long is cut to fit.
    - The request's ``metadata`` is merged into every file's metadata; the file name is the source,
      so re-uploading a changed file updates the same document.
    - Then as IngestDocuments: all validated before anything is written, idempotent, atomic replacement.
    """

    def __init__(self, *, reader: DocumentReader, ingest: Ingestion) -> None:
        self._reader = reader
        self._ingest = ingest

    def execute(self, request: IngestFilesRequest) -> list[IngestOutcome]:
        collection = request.principal.visible_collection(request.collection)  # before any file is read
        if not request.files:
            raise InvalidInput("Send one or more files as multipart/form-data parts named 'files'.", field="files")
        docs = []
        for upload in request.files:
            read = self._reader.read(upload.data, media_type=upload.media_type, filename=upload.filename)
            docs.append(
                DocumentInput(
                    text=read.text,
                    title=read.title,
                    source=upload.filename,
                    metadata={**read.metadata, **request.metadata},
                    access=request.access,
                )
            )
        return self._ingest.execute(
            IngestRequest(
                principal=request.principal, collection=collection, documents=tuple(docs), embedder=request.embedder
            )
        )
