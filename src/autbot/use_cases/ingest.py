from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from autbot.domain import limits
from autbot.domain.access import flags_for
from autbot.domain.auth import Principal
from autbot.domain.chunking import embedding_text
from autbot.domain.errors import AutbotError, CollectionNotFound, DocumentTooLarge, EmptyDocument, InvalidInput
from autbot.domain.ids import derive_document_id, document_version
from autbot.domain.model import (
    Chunk,
    CollectionInfo,
    Document,
    DocumentInput,
    IngestOutcome,
    IngestStatus,
    check_text,
    validate_document_id,
    validate_metadata,
)
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_locks import DocumentLocks
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import Embedder, EmbedderCatalogue
from autbot.ports.generation_store import GenerationStore
from autbot.ports.text_splitter import TextSplitter
from autbot.use_cases.collection_models import check_requested, collection_embedder, requested_embedder
from autbot.use_cases.generation_targets import (
    SplitterFor,
    WriteTargets,
    document_chunks,
    generation_embedder,
    generation_splitter,
    live_index,
    other_writable,
)
from autbot.use_cases.replacements import finish_replacements


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestRequest:
    principal: Principal
    """Who asks: a collection outside its key's list does not exist for it (404), and is not created."""
    collection: str
    documents: tuple[DocumentInput, ...]
    embedder: str | None = None
    """The embedding model (a catalogue name or model id) of a collection this request creates; for an
    existing collection, if given, it must be the collection's own."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestLimits:
    max_document_chars: int = limits.MAX_DOCUMENT_CHARS
    max_documents_per_request: int = limits.MAX_DOCUMENTS_PER_REQUEST
    embed_batch_size: int = limits.EMBED_BATCH_SIZE


@dataclass(frozen=True, slots=True)
class _Pending:
    doc_id: str
    doc: DocumentInput
    version: str
    chunks: list[Chunk]


class IngestDocuments:
    """Ingest documents into a collection (created on first use).

    Rules:
    - A document's id is the one given, else derived from its source file name, else from its content.
    - Re-ingesting identical content (text, title, source, metadata) is a no-op reported as ``unchanged``.
    - Changed content replaces that document's chunks atomically for readers: the new version's chunks
      are written first, then the registry switches to the new version (its record names the replaced
      one), then the old chunks are removed and the record forgets the replaced version. Search only
      shows chunks of the live version, so there is no moment with both. A replacement a crash cuts short
      is finished on start (``FinishReplacements``) or by the next write of that document.
    - A collection holds vectors of one embedding model (and dimension) only: the one its first ingestion
      names (``embedder``, one of the models served; else ``model_not_found``), else the default model.
      Later ingestions use the collection's model; naming another one is refused (``embedding_model_mismatch``).
    - The whole request is validated before anything is written.
    - Concurrent ingestions of the same document are serialised (per-document locks).
    - Each chunk is embedded with its document's title before its text (``domain.chunking``); the stored
      chunk text is the passage alone.
    - A collection outside the key's list does not exist for it (404) and is not created.
    - Every index generation kept besides the live one (``domain.generations``: one being built, a previous or a
      held one) gets the write too, with its own model and chunking; the source text is kept for re-indexing.
    - A document's ``access`` list (``domain.access``) is stored on the document and each of its chunks; changing
      it alone makes a new version. Metadata keys starting ``_acl_`` are reserved for it.
    """

    def __init__(
        self,
        *,
        embedders: EmbedderCatalogue,
        chunks: ChunkIndex,
        registry: DocumentRegistry,
        splitter: TextSplitter,
        locks: DocumentLocks,
        limits: IngestLimits | None = None,
        clock: Callable[[], float] = time.time,
        generations: GenerationStore | None = None,
        splitters: SplitterFor | None = None,
    ) -> None:
        self._generations, self._splitters = generations, splitters
        self._embedders = embedders
        self._chunks = chunks
        self._registry = registry
        self._splitter = splitter
        self._locks = locks
        self._limits = limits or IngestLimits()
        self._clock = clock

    def execute(self, request: IngestRequest) -> list[IngestOutcome]:
        collection = request.principal.visible_collection(request.collection)
        docs = self._validated(request.documents)
        embedder = self._ensure_collection(collection, request.embedder)
        ids = [p.doc_id for p in docs]
        with self._locks.hold(collection, ids):
            info = self._registry.get_collection(collection)  # read under the locks: a build that began is seen
            if info is None:
                raise CollectionNotFound(f"Collection '{collection}' does not exist.", collection=collection)
            if info.embedding_model != embedder.model_id:  # switched to another generation meanwhile
                embedder = collection_embedder(self._embedders, info, "passages")
            return self._ingest(info, docs, embedder)

    def screen(self, documents: tuple[DocumentInput, ...]) -> list[DocumentInput | AutbotError]:
        """Each document validated on its own, as ``execute`` would (a job's bad document fails alone): the
        document with its id settled, or why it is refused (an id seen earlier in ``documents`` too)."""
        seen: set[str] = set()
        out: list[DocumentInput | AutbotError] = []
        for doc in documents:
            try:
                p = self._validated((doc,))[0]
                if p.doc_id in seen:
                    raise InvalidInput(f"Document id '{p.doc_id}' appears twice in one job batch.", field="id")
            except AutbotError as e:
                out.append(e)
                continue
            seen.add(p.doc_id)
            out.append(replace(doc, id=p.doc_id))  # as given: ``execute`` validates it again
        return out

    def _ensure_collection(self, collection: str, requested: str | None) -> Embedder:
        """The collection's record names the model its vectors come from; a collection never mixes two.
        Its chunk storage is made before its record: a store that refuses leaves no record listed."""
        wanted = requested_embedder(self._embedders, requested)
        stored = self._registry.get_collection(collection)
        self._chunks.ensure(collection if stored is None else live_index(stored))
        if stored is None:
            info = CollectionInfo(name=collection, embedding_model=wanted.model_id, dimension=wanted.dimension)
            stored = self._registry.add_collection(info)  # another writer's record may be first
        if requested is not None:
            check_requested(stored, wanted)
        return collection_embedder(self._embedders, stored, "passages")

    def _ingest(self, info: CollectionInfo, docs: list[_Pending], embedder: Embedder) -> list[IngestOutcome]:
        collection = info.name
        targets = WriteTargets(collection, live_index(info), other_writable(self._generations, info))
        existing = self._registry.get_documents(collection, [p.doc_id for p in docs])
        outcomes: dict[str, IngestOutcome] = {}
        pending: list[_Pending] = []
        for p in docs:
            before = existing.get(p.doc_id)
            if before is not None and before.version == p.version and before.embedding_model == embedder.model_id:
                outcomes[p.doc_id] = IngestOutcome(document_id=p.doc_id, status="unchanged", chunks=before.chunk_count)
                if before.previous_version is not None:  # a replacement a crash cut short: finish it now
                    finish_replacements(self._chunks, self._registry, [before], targets.indexes)
                continue
            pending.append(_Pending(p.doc_id, p.doc, p.version, self._chunk(p)))
        # Embed many documents' chunks in one call (the embedder sorts by length: less padding), in groups
        # of bounded size, then switch each document to its new version.
        group: list[_Pending] = []
        for item in pending:
            group.append(item)
            if sum(len(g.chunks) for g in group) >= self._limits.embed_batch_size * 8:
                self._commit(targets, group, existing, outcomes, embedder)
                group = []
        if group:
            self._commit(targets, group, existing, outcomes, embedder)
        return [outcomes[p.doc_id] for p in docs]

    def _commit(
        self,
        targets: WriteTargets,
        group: list[_Pending],
        existing: dict[str, Document],
        outcomes: dict[str, IngestOutcome],
        embedder: Embedder,
    ) -> None:
        collection = targets.collection
        self._write(targets.live, [(p, p.chunks) for p in group], embedder)  # 1. every new chunk is written: live,
        for g in targets.others:  # then in each other generation that receives writes (its own model and chunking)
            splitter = generation_splitter(self._splitter, self._splitters, g)
            pieces = [(p, p.chunks if splitter is self._splitter else self._chunk(p, splitter)) for p in group]
            self._write(g.index_name, pieces, generation_embedder(self._embedders, g))
        if self._generations is not None:  # the source text a re-index builds from
            for p in group:
                self._generations.put_source(collection, p.doc_id, p.version, p.doc.text)
        now = self._clock()
        records = []
        for p in group:
            before = existing.get(p.doc_id)
            records.append(
                Document(
                    id=p.doc_id,
                    collection=collection,
                    title=p.doc.title,
                    source=p.doc.source,
                    metadata=dict(p.doc.metadata),
                    version=p.version,
                    chunk_count=len(p.chunks),
                    embedding_model=embedder.model_id,
                    created_at=before.created_at if before else now,
                    updated_at=now,
                    previous_version=before.version if before else None,
                )
            )
        self._registry.put_documents(records)  # 2. the registry switches each document to its new version
        replaced = [r for r in records if r.previous_version is not None]
        finish_replacements(self._chunks, self._registry, replaced, targets.indexes)
        for p in group:  # 3-4. (above) the replaced versions' chunks go, then the records say so
            status: IngestStatus = "updated" if p.doc_id in existing else "created"
            outcomes[p.doc_id] = IngestOutcome(document_id=p.doc_id, status=status, chunks=len(p.chunks))

    def _write(self, index: str, pieces: list[tuple[_Pending, list[Chunk]]], embedder: Embedder) -> None:
        chunks = [c for _, cs in pieces for c in cs]
        vectors = embedder.embed([embedding_text(p.doc.title, c.text) for p, cs in pieces for c in cs])
        size = self._limits.embed_batch_size * 4
        for start in range(0, len(chunks), size):
            self._chunks.upsert(index, chunks[start : start + size], vectors[start : start + size])

    def _validated(self, documents: tuple[DocumentInput, ...]) -> list[_Pending]:
        if not documents:
            raise InvalidInput("Send at least one document.", field="documents")
        if len(documents) > self._limits.max_documents_per_request:
            raise InvalidInput(
                f"At most {self._limits.max_documents_per_request} documents per request.", field="documents"
            )
        seen: set[str] = set()
        out: list[_Pending] = []
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
            check_text(doc.text, field=f"{where}.text")
            _check_length(doc.title, limits.MAX_TITLE_CHARS, f"{where}.title")
            _check_length(doc.source, limits.MAX_SOURCE_CHARS, f"{where}.source")
            metadata = validate_metadata(dict(doc.metadata), field_name=f"{where}.metadata")
            metadata = {**metadata, **flags_for(doc.access)}  # the access list travels with every chunk
            doc_id = (
                validate_document_id(doc.id)
                if doc.id is not None
                else derive_document_id(text=doc.text, source=doc.source)
            )
            if doc_id in seen:
                raise InvalidInput(f"Document id '{doc_id}' appears twice in one request.", field=f"{where}.id")
            seen.add(doc_id)
            clean = replace(doc, id=doc_id, metadata=metadata)
            version = document_version(text=doc.text, title=doc.title, source=doc.source, metadata=metadata)
            out.append(_Pending(doc_id, clean, version, []))
        return out

    def _chunk(self, p: _Pending, splitter: TextSplitter | None = None) -> list[Chunk]:
        return document_chunks(splitter or self._splitter, p.doc_id, p.version, p.doc.text, p.doc.metadata)


def _check_length(value: str | None, limit: int, field: str) -> None:
    if value is not None and len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters.", field=field)
    if value is not None:
        check_text(value, field=field)


@runtime_checkable
class Ingestion(Protocol):
    """What runs an ingestion request: ``IngestDocuments``, or a wrapper around it from the composition root."""

    def execute(self, request: IngestRequest) -> list[IngestOutcome]: ...

    def screen(self, documents: tuple[DocumentInput, ...]) -> list[DocumentInput | AutbotError]:
        """Each document validated on its own (``IngestDocuments.screen``)."""
        ...
