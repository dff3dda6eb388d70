"""An in-memory document registry: the fake."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from autbot.domain.errors import CollectionNotFound
from autbot.domain.model import CollectionInfo, Document, HealthStatus


class InMemoryDocumentRegistry:
    def __init__(self) -> None:
        self._collections: dict[str, CollectionInfo] = {}
        self._documents: dict[str, dict[str, Document]] = {}
        self._lock = threading.RLock()

    def get_collection(self, name: str) -> CollectionInfo | None:
        with self._lock:
            return self._collections.get(name)

    def add_collection(self, info: CollectionInfo) -> CollectionInfo:
        with self._lock:
            stored = self._collections.setdefault(info.name, replace(info, document_count=None, chunk_count=None))
            self._documents.setdefault(info.name, {})
            return stored

    def point_to(self, name: str, embedding_model: str, dimension: int, generation: int) -> bool:
        """Switch the collection's record to a live generation (``InMemoryGenerationStore.switch``)."""
        with self._lock:
            info = self._collections.get(name)
            if info is not None:
                self._collections[name] = replace(
                    info, embedding_model=embedding_model, dimension=dimension, generation=generation
                )
            return info is not None

    def list_collections(self) -> list[CollectionInfo]:
        with self._lock:
            return [
                replace(c, document_count=len(self._documents.get(name, {})))
                for name, c in sorted(self._collections.items())
            ]

    def remove_collection(self, name: str) -> bool:
        with self._lock:
            self._documents.pop(name, None)
            return self._collections.pop(name, None) is not None

    def put_documents(self, documents: Sequence[Document]) -> None:
        with self._lock:
            missing = sorted({d.collection for d in documents} - set(self._collections))
            if missing:
                raise CollectionNotFound(f"Collection '{missing[0]}' is not recorded.", collection=missing[0])
            for d in documents:
                self._documents[d.collection][d.id] = d

    def get_documents(self, collection: str, document_ids: Sequence[str]) -> dict[str, Document]:
        with self._lock:
            docs = self._documents.get(collection, {})
            return {i: docs[i] for i in document_ids if i in docs}

    def list_documents(self, collection: str, *, offset: int, limit: int) -> tuple[list[Document], int]:
        with self._lock:
            docs = sorted(self._documents.get(collection, {}).values(), key=lambda d: d.id)
        return docs[offset : offset + limit], len(docs)

    def replaced_documents(self, collection: str, *, limit: int) -> list[Document]:
        with self._lock:
            docs = sorted(self._documents.get(collection, {}).values(), key=lambda d: d.id)
        return [d for d in docs if d.previous_version is not None][:limit]

    def forget_replaced(self, documents: Sequence[Document]) -> None:
        with self._lock:
            for d in documents:
                stored = self._documents.get(d.collection, {}).get(d.id)
                if stored is not None and (stored.version, stored.previous_version) == (d.version, d.previous_version):
                    self._documents[d.collection][d.id] = replace(stored, previous_version=None)

    def delete_document(self, collection: str, document_id: str) -> bool:
        with self._lock:
            return self._documents.get(collection, {}).pop(document_id, None) is not None

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail="in-memory")

    def close(self) -> None:
        return None
