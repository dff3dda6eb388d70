"""``WeaviateDocumentRegistry``: collection and document records in two shared Weaviate collections,
so that any replica reads what any other wrote."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from autbot.adapters.weaviate.connection import MAX_PAGE, WeaviateConnection
from autbot.adapters.weaviate.schema import COLLECTIONS, DOCUMENTS, create_registry_collections
from autbot.domain.errors import CollectionNotFound, IndexWriteFailed
from autbot.domain.ids import object_uuid
from autbot.domain.model import CollectionInfo, Document, HealthStatus

_IN_CHUNK = 500


class WeaviateDocumentRegistry:
    def __init__(self, connection: WeaviateConnection, *, replication_factor: int = 1) -> None:
        self._conn = connection
        self._replication = replication_factor

    # --- collections -------------------------------------------------------------------------------
    def get_collection(self, name: str) -> CollectionInfo | None:
        return self._conn.call(lambda: self._collection(name))

    def add_collection(self, info: CollectionInfo) -> CollectionInfo:
        from weaviate.exceptions import UnexpectedStatusCodeError

        def run() -> CollectionInfo:
            self._ready()
            stored = self._collection(info.name)
            if stored is not None:
                return stored
            try:
                self._conn.collection(COLLECTIONS).data.insert(
                    {
                        "name": info.name,
                        "embedding_model": info.embedding_model,
                        "dimension": info.dimension,
                        "created_at": time.time(),
                    },
                    uuid=object_uuid("collection", info.name),
                )
            except UnexpectedStatusCodeError as e:  # another replica recorded it first: theirs stands
                if "already exists" not in str(e):
                    raise
            stored = self._collection(info.name)
            if stored is None:  # pragma: no cover - removed between the two calls by another writer
                raise CollectionNotFound(f"Collection '{info.name}' was removed while it was being created.")
            return stored

        return self._conn.call(run)

    def list_collections(self) -> list[CollectionInfo]:
        def run() -> list[CollectionInfo]:
            self._ready()
            objs = self._conn.collection(COLLECTIONS).query.fetch_objects(limit=MAX_PAGE).objects
            infos = sorted((_collection(o.properties) for o in objs), key=lambda c: c.name)
            return [replace(c, document_count=self._count_documents(c.name)) for c in infos]

        return self._conn.call(run)

    def remove_collection(self, name: str) -> bool:
        from weaviate.classes.query import Filter

        def run() -> bool:
            self._ready()
            existed = self._collection(name) is not None
            self._conn.collection(COLLECTIONS).data.delete_by_id(object_uuid("collection", name))
            self._conn.delete_all(DOCUMENTS, Filter.by_property("collection").equal(name))
            return existed

        return self._conn.call(run)

    # --- documents ---------------------------------------------------------------------------------
    def put_documents(self, documents: Sequence[Document]) -> None:
        from weaviate.classes.data import DataObject

        def run() -> None:
            self._ready()
            for name in sorted({d.collection for d in documents}):
                if self._collection(name) is None:
                    raise CollectionNotFound(f"Collection '{name}' is not recorded.", collection=name)
            objects = [
                DataObject(uuid=object_uuid("document", d.collection, d.id), properties=_props(d)) for d in documents
            ]
            result = self._conn.insert_many(self._conn.collection(DOCUMENTS), objects)  # replaces by uuid
            if result.has_errors:
                failed = [documents[i].id for i in sorted(result.errors)]
                raise IndexWriteFailed(f"Weaviate rejected {len(failed)} document records.", failed_ids=failed)

        if documents:
            self._conn.call(run)

    def get_documents(self, collection: str, document_ids: Sequence[str]) -> dict[str, Document]:
        from weaviate.classes.query import Filter

        ids = list(dict.fromkeys(document_ids))

        def run() -> dict[str, Document]:
            self._ready()
            out: dict[str, Document] = {}
            for start in range(0, len(ids), _IN_CHUNK):
                uuids = [object_uuid("document", collection, i) for i in ids[start : start + _IN_CHUNK]]
                res = self._conn.collection(DOCUMENTS).query.fetch_objects(
                    filters=Filter.by_id().contains_any(uuids), limit=len(uuids)
                )
                for o in res.objects:
                    doc = _document(o.properties)
                    out[doc.id] = doc
            return out

        return self._conn.call(run) if ids else {}

    def list_documents(self, collection: str, *, offset: int, limit: int) -> tuple[list[Document], int]:
        from weaviate.classes.query import Filter, Sort

        def run() -> tuple[list[Document], int]:
            self._ready()
            total = self._count_documents(collection)
            if offset >= total or limit <= 0:
                return [], total
            res = self._conn.collection(DOCUMENTS).query.fetch_objects(
                filters=Filter.by_property("collection").equal(collection),
                limit=limit,
                offset=offset,
                sort=Sort.by_property("document_id"),
            )
            return [_document(o.properties) for o in res.objects], total

        return self._conn.call(run)

    def replaced_documents(self, collection: str, *, limit: int) -> list[Document]:
        from weaviate.classes.query import Filter, Sort

        def run() -> list[Document]:
            self._ready()
            res = self._conn.collection(DOCUMENTS).query.fetch_objects(
                filters=Filter.by_property("collection").equal(collection)
                & Filter.by_property("previous_version").like("*"),  # null (none replaced) matches no pattern
                limit=limit,
                sort=Sort.by_property("document_id"),
            )
            return [d for d in (_document(o.properties) for o in res.objects) if d.previous_version]

        return self._conn.call(run)

    def forget_replaced(self, documents: Sequence[Document]) -> None:
        """Weaviate has no conditional write: the records are read, and those unchanged rewritten at once."""
        by_collection: dict[str, list[Document]] = {}
        for d in documents:
            if d.previous_version:
                by_collection.setdefault(d.collection, []).append(d)
        for collection, docs in by_collection.items():
            stored = self.get_documents(collection, [d.id for d in docs])
            unchanged = [
                replace(s, previous_version=None)
                for d in docs
                if (s := stored.get(d.id)) is not None
                and (s.version, s.previous_version) == (d.version, d.previous_version)
            ]
            self.put_documents(unchanged)

    def delete_document(self, collection: str, document_id: str) -> bool:
        def run() -> bool:
            self._ready()
            uuid = object_uuid("document", collection, document_id)
            col = self._conn.collection(DOCUMENTS)
            if not col.data.exists(uuid):
                return False
            col.data.delete_by_id(uuid)
            return True

        return self._conn.call(run)

    def health(self) -> HealthStatus:
        return self._conn.health()

    # --- helpers -----------------------------------------------------------------------------------
    def _ready(self) -> None:
        create_registry_collections(self._conn, self._replication)

    def _collection(self, name: str) -> CollectionInfo | None:
        self._ready()
        obj = self._conn.collection(COLLECTIONS).query.fetch_object_by_id(object_uuid("collection", name))
        return None if obj is None else _collection(obj.properties)

    def _count_documents(self, collection: str) -> int:
        from weaviate.classes.query import Filter

        agg = self._conn.collection(DOCUMENTS).aggregate.over_all(
            filters=Filter.by_property("collection").equal(collection), total_count=True
        )
        return int(agg.total_count or 0)


def _collection(p: Any) -> CollectionInfo:
    return CollectionInfo(
        name=str(p["name"]),
        embedding_model=str(p["embedding_model"]),
        dimension=int(p["dimension"]),
        generation=int(p.get("generation") or 0),
    )


def _props(d: Document) -> dict[str, Any]:
    return {
        "collection": d.collection,
        "document_id": d.id,
        "title": d.title,
        "source": d.source,
        "metadata_json": json.dumps(d.metadata),
        "version": d.version,
        "chunk_count": d.chunk_count,
        "embedding_model": d.embedding_model,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "previous_version": d.previous_version,
    }


def _document(p: Any) -> Document:
    return Document(
        id=str(p["document_id"]),
        collection=str(p["collection"]),
        title=p.get("title"),
        source=p.get("source"),
        metadata=json.loads(str(p.get("metadata_json") or "{}")),
        version=str(p["version"]),
        chunk_count=int(p["chunk_count"]),
        embedding_model=str(p["embedding_model"]),
        created_at=float(p["created_at"]),
        updated_at=float(p["updated_at"]),
        previous_version=p.get("previous_version"),
    )
