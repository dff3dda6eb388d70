from __future__ import annotations

import contextlib
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from autbot.domain.errors import DocumentTooLarge, EmptyDocument, InvalidInput
from autbot.domain.ids import chunk_id, content_hash, derive_document_id
from autbot.domain.model import (
    Chunk,
    CollectionName,
    Document,
    DocumentInput,
    IngestOutcome,
    IngestStatus,
    validate_document_id,
    validate_metadata,
)
from autbot.ports.embedder import Embedder
from autbot.ports.text_splitter import TextSplitter
from autbot.ports.vector_index import VectorIndex


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestRequest:
    collection: str
    documents: tuple[DocumentInput, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestLimits:
    max_document_chars: int = 5_000_000
    max_documents_per_request: int = 1_000
    embed_batch_size: int = 64


def document_version(doc: DocumentInput) -> str:
    """What makes two ingestions "the same": text, title, source and metadata."""
    return content_hash(json.dumps([doc.text, doc.title, doc.source, sorted(doc.metadata.items())], default=str))


_STRIPES = [threading.Lock() for _ in range(64)]


@contextlib.contextmanager
def _document_locks(collection: str, ids: list[str]) -> Iterator[None]:
    """Serialise concurrent ingestions of the same document in this process (striped locks, taken in
    order, so two requests never deadlock). Without it, two interleaved updates of one document could
    each delete the other's chunks."""
    stripes = sorted({zlib.crc32(f"{collection}/{i}".encode()) % len(_STRIPES) for i in ids})
    with contextlib.ExitStack() as stack:
        for n in stripes:
            stack.enter_context(_STRIPES[n])
        yield


class IngestDocuments:
    """Ingest documents into a collection (created on first use).

    Rules:
    - A document's id is the one given, else derived from its source file name, else from its content.
    - Re-ingesting identical content (text, title, source, metadata) is a no-op reported as ``unchanged``.
    - Changed content replaces that document's chunks atomically for readers: the new version's chunks
      are written first, then the registry switches to the new version, then old chunks are removed.
      Search only shows chunks of the live version, so there is no moment with both or neither.
    - A collection holds vectors of one embedding model only; ingesting with another model is refused.
    - The whole request is validated before anything is written.
    - Concurrent ingestions of the same document in one process are serialised.
    """

    def __init__(
        self,
        *,
        embedder: Embedder,
        index: VectorIndex,
        splitter: TextSplitter,
        limits: IngestLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._embedder = embedder
        self._index = index
        self._splitter = splitter
        self._limits = limits or IngestLimits()
        self._clock = clock

    def execute(self, request: IngestRequest) -> list[IngestOutcome]:
        collection = CollectionName(request.collection).value
        docs = self._validated(request.documents)
        self._index.ensure_collection(
            collection, embedding_model=self._embedder.model_id, dimension=self._embedder.dimension
        )
        ids = [doc_id for doc_id, _, _ in docs]
        with _document_locks(collection, ids):
            return self._ingest(collection, docs, ids)

    def _ingest(
        self, collection: str, docs: list[tuple[str, DocumentInput, str]], ids: list[str]
    ) -> list[IngestOutcome]:
        existing = self._index.get_documents(collection, ids)
        outcomes: dict[str, IngestOutcome] = {}
        pending: list[tuple[str, DocumentInput, str, list[Chunk]]] = []
        for doc_id, doc, version in docs:
            before = existing.get(doc_id)
            if before is not None and before.version == version and before.embedding_model == self._embedder.model_id:
                outcomes[doc_id] = IngestOutcome(document_id=doc_id, status="unchanged", chunks=before.chunk_count)
                continue
            pending.append((doc_id, doc, version, self._chunks(doc_id, version, doc)))
        # Embed many documents' chunks in one call (the embedder sorts by length: less padding), in groups
        # of bounded size, then switch each document to its new version.
        group: list[tuple[str, DocumentInput, str, list[Chunk]]] = []
        for item in pending:
            group.append(item)
            if sum(len(g[3]) for g in group) >= self._limits.embed_batch_size * 8:
                self._commit(collection, group, existing, outcomes)
                group = []
        if group:
            self._commit(collection, group, existing, outcomes)
        return [outcomes[doc_id] for doc_id, _, _ in docs]

    def _commit(
        self,
        collection: str,
        group: list[tuple[str, DocumentInput, str, list[Chunk]]],
        existing: dict[str, Document],
        outcomes: dict[str, IngestOutcome],
    ) -> None:
        texts = [c.text for _, _, _, chunks in group for c in chunks]
        vectors = self._embedder.embed(texts)
        chunks_all = [c for _, _, _, chunks in group for c in chunks]
        size = self._limits.embed_batch_size * 4
        for start in range(0, len(chunks_all), size):  # 1. every new chunk is written
            self._index.upsert_chunks(collection, chunks_all[start : start + size], vectors[start : start + size])
        now = self._clock()
        records = []
        for doc_id, doc, version, chunks in group:
            before = existing.get(doc_id)
            records.append(
                Document(
                    id=doc_id,
                    collection=collection,
                    title=doc.title,
                    source=doc.source,
                    metadata=dict(doc.metadata),
                    version=version,
                    chunk_count=len(chunks),
                    embedding_model=self._embedder.model_id,
                    created_at=before.created_at if before else now,
                    updated_at=now,
                    previous_version=before.version if before else None,
                )
            )
        self._index.put_documents(records)  # 2. the registry switches each document to its new version
        for doc_id, _, version, chunks in group:
            before = existing.get(doc_id)
            if before is not None:  # 3. the replaced version's chunks go
                self._index.delete_chunks(collection, doc_id, keep_version=version)
            status: IngestStatus = "updated" if before is not None else "created"
            outcomes[doc_id] = IngestOutcome(document_id=doc_id, status=status, chunks=len(chunks))

    def _validated(self, documents: tuple[DocumentInput, ...]) -> list[tuple[str, DocumentInput, str]]:
        if not documents:
            raise InvalidInput("Send at least one document.", field="documents")
        if len(documents) > self._limits.max_documents_per_request:
            raise InvalidInput(
                f"At most {self._limits.max_documents_per_request} documents per request.", field="documents"
            )
        seen: set[str] = set()
        out: list[tuple[str, DocumentInput, str]] = []
        for i, doc in enumerate(documents):
            where = f"documents[{i}]"
            if not doc.text or not doc.text.strip():
                raise EmptyDocument(f"{where} has no text.", field=f"{where}.text")
            if len(doc.text) > self._limits.max_document_chars:
                raise DocumentTooLarge(
                    f"{where} has {len(doc.text)} characters; the limit is {self._limits.max_document_chars}.",
                    field=f"{where}.text",
                    limit=self._limits.max_document_chars,
                )
            metadata = validate_metadata(dict(doc.metadata), field_name=f"{where}.metadata")
            doc_id = (
                validate_document_id(doc.id)
                if doc.id is not None
                else derive_document_id(text=doc.text, source=doc.source)
            )
            if doc_id in seen:
                raise InvalidInput(f"Document id '{doc_id}' appears twice in one request.", field=f"{where}.id")
            seen.add(doc_id)
            clean = DocumentInput(id=doc_id, text=doc.text, title=doc.title, source=doc.source, metadata=metadata)
            out.append((doc_id, clean, document_version(clean)))
        return out

    def _chunks(self, doc_id: str, version: str, doc: DocumentInput) -> list[Chunk]:
        texts = [t for t in self._splitter.split(doc.text) if t.strip()]
        return [
            Chunk(
                id=chunk_id(doc_id, version, position),
                document_id=doc_id,
                document_version=version,
                text=text,
                position=position,
                metadata=dict(doc.metadata),
            )
            for position, text in enumerate(texts)
        ]
