"""``WeaviateGenerationStore``: a collection's generation records and live pointer as properties of its
``AutbotCollections`` object, so that switching the live generation (and the model the collection's record
names) is one object write; documents' source texts in ``AutbotSources``.

Weaviate has no transactions: two writers changing one collection's generation records at the same moment may
lose one of the two changes (re-indexes are one at a time per collection, and switches are operator calls).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from autbot.adapters.generation_codec import generation_json, generation_of
from autbot.adapters.weaviate.connection import WeaviateConnection
from autbot.adapters.weaviate.schema import COLLECTIONS, SOURCES, create_generation_records
from autbot.domain.errors import CollectionNotFound, IndexWriteFailed
from autbot.domain.generations import Generation
from autbot.domain.ids import object_uuid

_IN_CHUNK = 500


class WeaviateGenerationStore:
    def __init__(self, connection: WeaviateConnection, *, replication_factor: int = 1) -> None:
        self._conn = connection
        self._replication = replication_factor
        self._prepared = False

    def generations(self, collection: str) -> list[Generation]:
        return self._conn.call(lambda: sorted(self._records(collection).values(), key=lambda g: g.number))

    def put_generation(self, generation: Generation) -> None:
        def run() -> None:
            records = self._records(generation.collection)
            records[generation.number] = generation
            self._write(generation.collection, {"generations_json": _json(records)})

        self._conn.call(run)

    def switch(self, live: Generation, others: Sequence[Generation]) -> None:
        def run() -> None:
            records = self._records(live.collection)
            for g in (live, *others):
                records[g.number] = g
            pointer = {"embedding_model": live.embedding_model, "dimension": live.dimension, "generation": live.number}
            self._write(live.collection, {**pointer, "generations_json": _json(records)})  # one object write

        self._conn.call(run)

    def remove_generation(self, collection: str, number: int) -> None:
        def run() -> None:
            records = self._records(collection)
            if records.pop(number, None) is not None:
                self._write(collection, {"generations_json": _json(records)})

        self._conn.call(run)

    def put_source(self, collection: str, document_id: str, version: str, text: str) -> None:
        from weaviate.classes.data import DataObject

        props = {"collection": collection, "document_id": document_id, "version": version, "text": text}

        def run() -> None:
            self._ready()
            obj = DataObject(uuid=object_uuid("source", collection, document_id), properties=props)
            if self._conn.insert_many(self._conn.collection(SOURCES), [obj]).has_errors:
                raise IndexWriteFailed("Weaviate rejected a source text.", failed_ids=[document_id])

        self._conn.call(run)

    def sources(self, collection: str, document_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        from weaviate.classes.query import Filter

        ids = list(dict.fromkeys(document_ids))

        def run() -> dict[str, tuple[str, str]]:
            self._ready()
            out: dict[str, tuple[str, str]] = {}
            for start in range(0, len(ids), _IN_CHUNK):
                uuids = [object_uuid("source", collection, i) for i in ids[start : start + _IN_CHUNK]]
                res = self._conn.collection(SOURCES).query.fetch_objects(
                    filters=Filter.by_id().contains_any(uuids), limit=len(uuids)
                )
                for o in res.objects:
                    out[str(o.properties["document_id"])] = (str(o.properties["version"]), str(o.properties["text"]))
            return out

        return self._conn.call(run) if ids else {}

    def remove_sources(self, collection: str, document_ids: Sequence[str] | None = None) -> None:
        from weaviate.classes.query import Filter

        def run() -> None:
            self._ready()
            where = Filter.by_property("collection").equal(collection)
            if document_ids is not None:
                uuids = [object_uuid("source", collection, i) for i in document_ids]
                if not uuids:
                    return
                where = Filter.by_id().contains_any(uuids)
            self._conn.delete_all(SOURCES, where)

        self._conn.call(run)

    def _records(self, collection: str) -> dict[int, Generation]:
        self._ready()
        obj = self._conn.collection(COLLECTIONS).query.fetch_object_by_id(object_uuid("collection", collection))
        if obj is None:
            return {}
        raw = obj.properties.get("generations_json")
        return {g.number: g for g in (generation_of(json.dumps(r)) for r in json.loads(str(raw or "[]")))}

    def _write(self, collection: str, props: dict[str, Any]) -> None:
        uid = object_uuid("collection", collection)
        if self._conn.collection(COLLECTIONS).query.fetch_object_by_id(uid) is None:
            raise CollectionNotFound(f"Collection '{collection}' is not recorded.", collection=collection)
        self._conn.collection(COLLECTIONS).data.update(uuid=uid, properties=props)

    def _ready(self) -> None:
        if not self._prepared:
            create_generation_records(self._conn, self._replication)
            self._prepared = True


def _json(records: dict[int, Generation]) -> str:
    return json.dumps([json.loads(generation_json(g)) for _, g in sorted(records.items())])
