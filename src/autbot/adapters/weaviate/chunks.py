"""``WeaviateChunkIndex``: chunks in one Weaviate collection per AutBot collection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from autbot.adapters.weaviate.connection import WeaviateConnection, is_missing_class, is_transient
from autbot.adapters.weaviate.schema import ChunkSchema, create_chunk_collection, kv_token, weaviate_name
from autbot.domain.access import RESTRICTED_KEY, AccessFilter
from autbot.domain.errors import CollectionNotFound, IndexWriteFailed
from autbot.domain.fusion import above_floor, cosine
from autbot.domain.ids import object_uuid
from autbot.domain.model import Chunk, ChunkQuery, Fusion, HealthStatus, MetadataFilter, SearchHit, SearchMode

RANKED_K = 60


class WeaviateChunkIndex:
    """Vector (HNSW, cosine), keyword (BM25) and hybrid search, fused by Weaviate with the method of
    ``query.fusion`` (relative-score or ranked), scores on the scale of ``domain.fusion``. Object ids are
    UUIDv5 of collection/document/chunk, so writing a chunk again on any replica replaces it."""

    search_modes = frozenset(SearchMode)

    def __init__(
        self, connection: WeaviateConnection, *, schema: ChunkSchema | None = None, batch_size: int = 100
    ) -> None:
        self._conn = connection
        self._schema = schema or ChunkSchema()
        self._batch_size = batch_size

    def ensure(self, collection: str) -> None:
        self._conn.call(lambda: create_chunk_collection(self._conn, collection, self._schema))

    def drop(self, collection: str) -> None:
        name = weaviate_name(collection)

        def run() -> None:
            self._conn.client.collections.delete(name)
            self._conn.forget(name)

        self._conn.call(run)

    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        from weaviate.classes.data import DataObject

        name = weaviate_name(collection)

        def run() -> None:
            if not self._conn.exists(name):  # never let Weaviate's auto-schema invent a collection
                raise CollectionNotFound(f"Collection '{collection}' has no chunk storage.", collection=collection)
            col = self._conn.collection(name)
            for start in range(0, len(chunks), self._batch_size):
                part = list(
                    zip(
                        chunks[start : start + self._batch_size], vectors[start : start + self._batch_size], strict=True
                    )
                )
                objects = [
                    DataObject(
                        uuid=object_uuid(collection, c.document_id, c.id),
                        properties={
                            "text": c.text,
                            "document_id": c.document_id,
                            "document_version": c.document_version,
                            "chunk_id": c.id,
                            "position": c.position,
                            "metadata_json": json.dumps(c.metadata),
                            "meta_kv": [kv_token(k, v) for k, v in c.metadata.items()],
                        },
                        vector=list(v),
                    )
                    for c, v in part
                ]
                try:
                    result = self._conn.insert_many(col, objects)
                except Exception as e:
                    if is_transient(e):
                        raise
                    raise IndexWriteFailed(
                        f"Weaviate rejected a batch of {len(objects)} chunks: {e}", failed_ids=[c.id for c, _ in part]
                    ) from e
                if result.has_errors:
                    failed = [part[i][0].id for i in sorted(result.errors)]
                    first = next(iter(result.errors.values()))
                    raise IndexWriteFailed(
                        f"Weaviate rejected {len(failed)} of {len(objects)} chunks ({first.message}).",
                        failed_ids=failed,
                    )

        self._conn.call(run)

    def delete(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        from weaviate.classes.query import Filter

        def run() -> None:
            where = Filter.by_property("document_id").equal(document_id)
            if keep_version:
                where = where & Filter.by_property("document_version").not_equal(keep_version)
            try:
                self._conn.delete_all(weaviate_name(collection), where)
            except Exception as e:
                if not is_missing_class(e):
                    raise

        self._conn.call(run)

    def search(self, collection: str, query: ChunkQuery) -> list[SearchHit]:
        from weaviate.classes.query import HybridFusion, MetadataQuery

        def run() -> list[SearchHit]:
            q = self._conn.collection(weaviate_name(collection)).query
            where = _filters(query.filters, query.access)
            try:
                if query.mode is SearchMode.VECTOR:
                    res = q.near_vector(
                        near_vector=list(query.vector),
                        limit=query.top_k,
                        filters=where,
                        return_metadata=MetadataQuery(distance=True),
                    )
                elif query.mode is SearchMode.KEYWORD:
                    res = q.bm25(
                        query=query.text, limit=query.top_k, filters=where, return_metadata=MetadataQuery(score=True)
                    )
                else:
                    floor = query.min_vector_score
                    res = q.hybrid(
                        query=query.text,
                        vector=list(query.vector),
                        alpha=query.alpha,
                        limit=query.top_k,
                        filters=where,
                        fusion_type=HybridFusion.RANKED
                        if query.fusion is Fusion.RECIPROCAL_RANK
                        else HybridFusion.RELATIVE_SCORE,
                        max_vector_distance=None if floor is None else 1.0 - floor,  # the vector side's floor
                        include_vector=floor is not None,  # the keyword side's: each hit's own similarity
                        return_metadata=MetadataQuery(score=True),
                    )
            except Exception as e:
                if is_missing_class(e):  # not created yet, or deleted meanwhile
                    return []
                raise
            hits = [_hit(o, query) for o in res.objects if _clears_floor(o, query)]
            return above_floor(hits, query.min_vector_score) if query.mode is SearchMode.VECTOR else hits

        return self._conn.call(run)

    def count(self, collection: str) -> int:
        def run() -> int:
            try:
                agg = self._conn.collection(weaviate_name(collection)).aggregate.over_all(total_count=True)
            except Exception as e:
                if is_missing_class(e):
                    return 0
                raise
            return int(agg.total_count or 0)

        return self._conn.call(run)

    def health(self) -> HealthStatus:
        return self._conn.health()


def _clears_floor(o: Any, query: ChunkQuery) -> bool:
    """In hybrid mode with a relevance floor, whether the hit's own vector is similar enough to the query."""
    if query.mode is not SearchMode.HYBRID or query.min_vector_score is None:
        return True
    vector = o.vector.get("default") if isinstance(o.vector, dict) else o.vector
    return vector is not None and cosine(query.vector, vector) >= query.min_vector_score


def _hit(o: Any, query: ChunkQuery) -> SearchHit:
    p = o.properties
    score = (1.0 - float(o.metadata.distance)) if query.mode is SearchMode.VECTOR else float(o.metadata.score)
    if query.mode is SearchMode.HYBRID and query.fusion is Fusion.RECIPROCAL_RANK:
        score *= RANKED_K  # Weaviate's ranked fusion adds weight / (60 + 0-based rank): first in both = 1, as ours
    return SearchHit(
        score=score,
        chunk=Chunk(
            id=str(p["chunk_id"]),
            document_id=str(p["document_id"]),
            document_version=str(p["document_version"]),
            text=str(p["text"]),
            position=int(p["position"]),
            metadata=json.loads(str(p["metadata_json"] or "{}")),
        ),
    )


def _filters(filters: Sequence[MetadataFilter], access: AccessFilter | None) -> Any:
    """Filters and ``domain.access`` as one Weaviate filter on the chunk's ``meta_kv`` tokens: the access part
    is "not restricted (no ``_acl_restricted`` token), or one of the caller's flag tokens"."""
    from weaviate.classes.query import Filter

    parts = []
    if access is not None:
        kv = Filter.by_property("meta_kv")
        options = [kv.contains_none([kv_token(RESTRICTED_KEY, True)])]
        if access.keys:
            options.append(kv.contains_any([kv_token(k, True) for k in access.keys]))
        parts.append(options[0] if len(options) == 1 else Filter.any_of(options))
    for f in filters:
        values = f.value if isinstance(f.value, list) else [f.value]
        if f.key == "document_id":
            parts.append(Filter.by_property("document_id").contains_any([str(v) for v in values]))
        else:
            parts.append(Filter.by_property("meta_kv").contains_any([kv_token(f.key, v) for v in values]))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Filter.all_of(parts)
