"""Weaviate (client v4) as the scale-out vector index.

Layout: one Weaviate collection per AutBot collection for chunks (``Autbot_<name>``: HNSW, cosine,
self-provided vectors), plus two shared collections that replace every bit of process-local state:
``AutbotCollections`` (name, embedding model, dimension) and ``AutbotDocuments`` (the document
registry). Object ids are UUIDv5 of collection/document/chunk, so re-ingestion is idempotent.
Metadata filters run on ``meta_kv``, an array of exact ``key=<json value>`` tokens.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from autbot.domain.errors import (
    AutbotError,
    EmbeddingModelMismatch,
    IndexTimeout,
    IndexUnavailable,
    IndexWriteFailed,
)
from autbot.domain.ids import object_uuid
from autbot.domain.model import (
    Chunk,
    CollectionInfo,
    Document,
    HealthStatus,
    MetadataFilter,
    MetadataValue,
    SearchHit,
    SearchMode,
)

T = TypeVar("T")
COLLECTIONS = "AutbotCollections"
DOCUMENTS = "AutbotDocuments"
_MAX_PAGE = 10_000


def weaviate_name(collection: str) -> str:
    """``my-docs_v2`` → ``Autbot_my_ddocs__v2``: a valid, collision-free Weaviate class name."""
    return "Autbot_" + collection.replace("_", "__").replace("-", "_d")


def kv_token(key: str, value: MetadataValue) -> str:
    """An exact, typed filter token; integral floats equal their int (1.0 == 1), as in the domain."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{key}={json.dumps(value)}"


class WeaviateVectorIndex:
    def __init__(
        self,
        *,
        http_host: str = "127.0.0.1",
        http_port: int = 8080,
        grpc_host: str = "127.0.0.1",
        grpc_port: int = 50051,
        secure: bool = False,
        api_key: str | None = None,
        init_timeout_s: float = 10.0,
        query_timeout_s: float = 30.0,
        insert_timeout_s: float = 15.0,
        replication_factor: int = 1,
        consistency_level: str = "QUORUM",
        quantization: str = "none",
        ef_construction: int = 128,
        max_connections: int = 32,
        ef: int = -1,
        batch_size: int = 100,
        write_retries: int = 2,
    ) -> None:
        import weaviate
        from weaviate.classes.config import ConsistencyLevel
        from weaviate.classes.init import AdditionalConfig, Auth, Timeout
        from weaviate.connect import ConnectionParams

        self._endpoint = f"{'https' if secure else 'http'}://{http_host}:{http_port}"
        self._client = weaviate.WeaviateClient(
            connection_params=ConnectionParams.from_params(
                http_host=http_host,
                http_port=http_port,
                http_secure=secure,
                grpc_host=grpc_host,
                grpc_port=grpc_port,
                grpc_secure=secure,
            ),
            auth_client_secret=Auth.api_key(api_key) if api_key else None,
            additional_config=AdditionalConfig(
                timeout=Timeout(init=init_timeout_s, query=query_timeout_s, insert=insert_timeout_s)
            ),
            skip_init_checks=True,
        )
        self._consistency = getattr(ConsistencyLevel, consistency_level)
        self._replication = replication_factor
        self._quantization = quantization
        self._hnsw = {"ef_construction": ef_construction, "max_connections": max_connections, "ef": ef}
        self._batch_size = batch_size
        self._write_retries = max(0, write_retries)
        self._lock = threading.Lock()
        self._known: set[str] = set()
        try:
            self._connect()
        except IndexUnavailable:
            pass  # /ready reports it; every call retries the connection

    @property
    def search_modes(self) -> frozenset[SearchMode]:
        return frozenset(SearchMode)

    # --- plumbing ------------------------------------------------------------------------------
    def _connect(self) -> None:
        with self._lock:
            if self._client.is_connected():
                return
            try:
                self._client.connect()
            except Exception as e:
                raise IndexUnavailable(f"Cannot connect to Weaviate at {self._endpoint}: {e}") from e

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            self._connect()
            return fn()
        except AutbotError:
            raise
        except Exception as e:
            from weaviate.exceptions import WeaviateTimeoutError

            if isinstance(e, (WeaviateTimeoutError, TimeoutError)) or "deadline" in str(e).lower():
                raise IndexTimeout(f"Weaviate at {self._endpoint} timed out: {e}") from e
            raise IndexUnavailable(f"Weaviate at {self._endpoint} failed: {type(e).__name__}: {e}") from e

    def _col(self, name: str) -> Any:
        return self._client.collections.use(name).with_consistency_level(self._consistency)

    def _ensure_registries(self) -> None:
        if {COLLECTIONS, DOCUMENTS} <= self._known:
            return
        from weaviate.classes.config import Configure, DataType, Property, Tokenization

        def field(name: str) -> Any:
            return Property(name=name, data_type=DataType.TEXT, tokenization=Tokenization.FIELD)

        specs = {
            COLLECTIONS: [
                field("name"),
                field("embedding_model"),
                Property(name="dimension", data_type=DataType.INT),
                Property(name="created_at", data_type=DataType.NUMBER),
            ],
            DOCUMENTS: [
                field("collection"),
                field("document_id"),
                field("title"),
                field("source"),
                Property(name="metadata_json", data_type=DataType.TEXT, index_filterable=False, index_searchable=False),
                field("version"),
                Property(name="chunk_count", data_type=DataType.INT),
                field("embedding_model"),
                Property(name="created_at", data_type=DataType.NUMBER),
                Property(name="updated_at", data_type=DataType.NUMBER),
                field("previous_version"),
            ],
        }
        for name, props in specs.items():
            self._create(
                name,
                functools.partial(
                    self._client.collections.create,
                    name,
                    properties=props,
                    vector_config=Configure.Vectors.self_provided(),
                    replication_config=Configure.replication(factor=self._replication),
                ),
            )

    def _create(self, name: str, create: Callable[[], Any]) -> None:
        from weaviate.exceptions import UnexpectedStatusCodeError

        if name in self._known:
            return
        if not self._client.collections.exists(name):
            try:
                create()
            except UnexpectedStatusCodeError as e:  # created concurrently by another replica
                if "already exists" not in str(e):
                    raise
        self._known.add(name)

    # --- collections -----------------------------------------------------------------------------
    def ensure_collection(self, collection: str, *, embedding_model: str, dimension: int) -> CollectionInfo:
        def run() -> CollectionInfo:
            self._ensure_registries()
            record = self._collection_record(collection)
            if record is not None and (record["embedding_model"], record["dimension"]) != (embedding_model, dimension):
                raise EmbeddingModelMismatch(
                    f"Collection '{collection}' holds vectors of '{record['embedding_model']}' "
                    f"({record['dimension']} dimensions); refusing to mix in '{embedding_model}' ({dimension}).",
                    collection=collection,
                    collection_model=record["embedding_model"],
                    embedder_model=embedding_model,
                )
            self._create(weaviate_name(collection), lambda: self._create_chunks(collection))
            if record is None:
                self._col(COLLECTIONS).data.insert(
                    {
                        "name": collection,
                        "embedding_model": embedding_model,
                        "dimension": dimension,
                        "created_at": time.time(),
                    },
                    uuid=object_uuid("collection", collection),
                )
            return CollectionInfo(
                name=collection,
                embedding_model=embedding_model,
                dimension=dimension,
                document_count=self._count_documents(collection),
                chunk_count=self._count(weaviate_name(collection)),
            )

        return self._call(run)

    def _create_chunks(self, collection: str) -> Any:
        from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances

        quantizer: Any = {
            "pq": Configure.VectorIndex.Quantizer.pq,
            "bq": Configure.VectorIndex.Quantizer.bq,
            "sq": Configure.VectorIndex.Quantizer.sq,
        }.get(self._quantization)
        return self._client.collections.create(
            weaviate_name(collection),
            description=f"AutBot collection {collection}",
            properties=[
                Property(name="text", data_type=DataType.TEXT, tokenization=Tokenization.WORD),
                Property(name="document_id", data_type=DataType.TEXT, tokenization=Tokenization.FIELD),
                Property(name="document_version", data_type=DataType.TEXT, tokenization=Tokenization.FIELD),
                Property(
                    name="chunk_id", data_type=DataType.TEXT, tokenization=Tokenization.FIELD, index_searchable=False
                ),
                Property(name="position", data_type=DataType.INT),
                Property(name="metadata_json", data_type=DataType.TEXT, index_filterable=False, index_searchable=False),
                Property(
                    name="meta_kv",
                    data_type=DataType.TEXT_ARRAY,
                    tokenization=Tokenization.FIELD,
                    index_searchable=False,
                ),
            ],
            vector_config=Configure.Vectors.self_provided(
                vector_index_config=Configure.VectorIndex.hnsw(
                    distance_metric=VectorDistances.COSINE,
                    quantizer=quantizer() if quantizer else None,
                    ef_construction=self._hnsw["ef_construction"],
                    max_connections=self._hnsw["max_connections"],
                    ef=self._hnsw["ef"],
                ),
            ),
            inverted_index_config=Configure.inverted_index(bm25_b=0.75, bm25_k1=1.2),
            replication_config=Configure.replication(factor=self._replication),
        )

    def _collection_record(self, collection: str) -> dict[str, Any] | None:
        obj = self._col(COLLECTIONS).query.fetch_object_by_id(object_uuid("collection", collection))
        if obj is None:
            return None
        p = obj.properties
        return {"embedding_model": str(p["embedding_model"]), "dimension": int(p["dimension"])}

    def get_collection(self, collection: str, *, counts: bool = True) -> CollectionInfo | None:
        def run() -> CollectionInfo | None:
            self._ensure_registries()
            record = self._collection_record(collection)
            if record is None:
                return None
            if not counts:
                return CollectionInfo(
                    name=collection, embedding_model=record["embedding_model"], dimension=record["dimension"]
                )
            return CollectionInfo(
                name=collection,
                embedding_model=record["embedding_model"],
                dimension=record["dimension"],
                document_count=self._count_documents(collection),
                chunk_count=self._count(weaviate_name(collection)),
            )

        return self._call(run)

    def list_collections(self) -> list[CollectionInfo]:
        def run() -> list[CollectionInfo]:
            self._ensure_registries()
            objs = self._col(COLLECTIONS).query.fetch_objects(limit=_MAX_PAGE).objects
            return [
                CollectionInfo(
                    name=str(o.properties["name"]),
                    embedding_model=str(o.properties["embedding_model"]),
                    dimension=int(o.properties["dimension"]),
                    document_count=self._count_documents(str(o.properties["name"])),
                    chunk_count=self._count(weaviate_name(str(o.properties["name"]))),
                )
                for o in objs
            ]

        return self._call(run)

    def delete_collection(self, collection: str) -> bool:
        from weaviate.classes.query import Filter

        def run() -> bool:
            self._ensure_registries()
            existed = self._collection_record(collection) is not None
            self._col(COLLECTIONS).data.delete_by_id(object_uuid("collection", collection))
            self._delete_all(DOCUMENTS, Filter.by_property("collection").equal(collection))
            self._client.collections.delete(weaviate_name(collection))
            self._known.discard(weaviate_name(collection))
            return existed

        return self._call(run)

    # --- chunks ----------------------------------------------------------------------------------
    def upsert_chunks(self, collection: str, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        from weaviate.classes.data import DataObject

        def run() -> None:
            col = self._col(weaviate_name(collection))
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
                    result = self._insert_many(col, objects)
                except Exception as e:
                    if _transient(e):
                        raise
                    raise IndexWriteFailed(
                        f"Weaviate rejected a batch of {len(objects)} chunks: {e}",
                        failed_ids=[c.id for c, _ in part],
                    ) from e
                if result.has_errors:
                    failed = {part[i][0].id: str(err.message) for i, err in result.errors.items()}
                    raise IndexWriteFailed(
                        f"Weaviate rejected {len(failed)} of {len(objects)} chunks; the document was not updated.",
                        failed=failed,
                    )

        self._call(run)

    def delete_chunks(self, collection: str, document_id: str, *, keep_version: str | None = None) -> None:
        from weaviate.classes.query import Filter

        def run() -> None:
            where = Filter.by_property("document_id").equal(document_id)
            if keep_version:
                where = where & Filter.by_property("document_version").not_equal(keep_version)
            try:
                self._delete_all(weaviate_name(collection), where)
            except Exception as e:
                if not _missing_class(e):
                    raise

        self._call(run)

    def _insert_many(self, col: Any, objects: list[Any]) -> Any:
        """Batch writes are idempotent (deterministic uuids), so a write that timed out, as writes do while
        a cluster notices a dead node, is retried a bounded number of times."""
        for attempt in range(self._write_retries + 1):
            try:
                return col.data.insert_many(objects)
            except Exception as e:
                if attempt == self._write_retries or not _transient(e):
                    raise
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def _delete_all(self, name: str, where: Any) -> None:
        for _ in range(1000):
            result = self._col(name).data.delete_many(where=where)
            if result.failed:
                raise IndexWriteFailed(f"Weaviate failed to delete {result.failed} objects from {name}.")
            if result.matches < _MAX_PAGE:
                return

    def search(
        self,
        collection: str,
        vector: Sequence[float],
        *,
        top_k: int,
        filters: tuple[MetadataFilter, ...] = (),
        mode: SearchMode = SearchMode.VECTOR,
        query_text: str = "",
        alpha: float = 0.5,
    ) -> list[SearchHit]:
        from weaviate.classes.query import HybridFusion, MetadataQuery

        def run() -> list[SearchHit]:
            name = weaviate_name(collection)
            q = self._col(name).query
            where = _filters(filters)
            try:
                if mode is SearchMode.VECTOR:
                    res = q.near_vector(
                        near_vector=list(vector),
                        limit=top_k,
                        filters=where,
                        return_metadata=MetadataQuery(distance=True),
                    )
                elif mode is SearchMode.KEYWORD:
                    res = q.bm25(
                        query=query_text, limit=top_k, filters=where, return_metadata=MetadataQuery(score=True)
                    )
                else:
                    res = q.hybrid(
                        query=query_text,
                        vector=list(vector),
                        alpha=alpha,
                        limit=top_k,
                        filters=where,
                        fusion_type=HybridFusion.RELATIVE_SCORE,
                        return_metadata=MetadataQuery(score=True),
                    )
            except Exception as e:
                if _missing_class(e):  # deleted meanwhile
                    return []
                raise
            hits = []
            for o in res.objects:
                p = o.properties
                score = (1.0 - float(o.metadata.distance)) if mode is SearchMode.VECTOR else float(o.metadata.score)
                hits.append(
                    SearchHit(
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
                )
            return hits

        return self._call(run)

    def count_chunks(self, collection: str) -> int:
        return self._call(lambda: self._count(weaviate_name(collection)))

    def _count(self, name: str) -> int:
        try:
            return int(self._col(name).aggregate.over_all(total_count=True).total_count or 0)
        except Exception as e:
            if _missing_class(e):
                return 0
            raise

    def _count_documents(self, collection: str) -> int:
        from weaviate.classes.query import Filter

        agg = self._col(DOCUMENTS).aggregate.over_all(
            filters=Filter.by_property("collection").equal(collection), total_count=True
        )
        return int(agg.total_count or 0)

    # --- documents -------------------------------------------------------------------------------
    def put_documents(self, documents: Sequence[Document]) -> None:
        from weaviate.classes.data import DataObject

        def run() -> None:
            self._ensure_registries()
            objects = [
                DataObject(
                    uuid=object_uuid("document", d.collection, d.id),
                    properties={
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
                    },
                )
                for d in documents
            ]
            result = self._insert_many(self._col(DOCUMENTS), objects)  # a batch write replaces by uuid
            if result.has_errors:
                failed = {documents[i].id: str(err.message) for i, err in result.errors.items()}
                raise IndexWriteFailed(f"Weaviate rejected {len(failed)} document records.", failed=failed)

        if documents:
            self._call(run)

    def get_documents(self, collection: str, document_ids: Sequence[str]) -> dict[str, Document]:
        from weaviate.classes.query import Filter

        def run() -> dict[str, Document]:
            self._ensure_registries()
            out: dict[str, Document] = {}
            ids = list(dict.fromkeys(document_ids))
            for start in range(0, len(ids), 500):
                uuids = [object_uuid("document", collection, i) for i in ids[start : start + 500]]
                res = self._col(DOCUMENTS).query.fetch_objects(
                    filters=Filter.by_id().contains_any(uuids), limit=len(uuids)
                )
                for o in res.objects:
                    doc = _document(o.properties)
                    out[doc.id] = doc
            return out

        return self._call(run) if document_ids else {}

    def list_documents(self, collection: str, *, offset: int, limit: int) -> tuple[list[Document], int]:
        from weaviate.classes.query import Filter, Sort

        def run() -> tuple[list[Document], int]:
            self._ensure_registries()
            where = Filter.by_property("collection").equal(collection)
            total = self._count_documents(collection)
            if offset >= total or limit <= 0:
                return [], total
            res = self._col(DOCUMENTS).query.fetch_objects(
                filters=where, limit=limit, offset=offset, sort=Sort.by_property("document_id")
            )
            return [_document(o.properties) for o in res.objects], total

        return self._call(run)

    def delete_document(self, collection: str, document_id: str) -> bool:
        def run() -> bool:
            self._ensure_registries()
            uuid = object_uuid("document", collection, document_id)
            col = self._col(DOCUMENTS)
            if not col.data.exists(uuid):
                return False
            col.data.delete_by_id(uuid)
            return True

        return self._call(run)

    # --- lifecycle -------------------------------------------------------------------------------
    def health(self) -> HealthStatus:
        try:
            self._connect()
            ready = self._client.is_ready()
        except Exception as e:
            return HealthStatus(ok=False, detail=f"{self._endpoint}: {type(e).__name__}: {e}")
        return HealthStatus(ok=bool(ready), detail=f"weaviate at {self._endpoint} {'ready' if ready else 'not ready'}")

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:  # closing is best effort
            return


def _transient(error: Exception) -> bool:
    """A timeout or an unavailable peer: worth one more try for an idempotent write."""
    from weaviate.exceptions import WeaviateTimeoutError

    text = str(error).lower()
    return (
        isinstance(error, (WeaviateTimeoutError, TimeoutError))
        or "deadline exceeded" in text
        or ("unavailable" in text)
    )


def _missing_class(error: Exception) -> bool:
    return "could not find class" in str(error)


def _filters(filters: Sequence[MetadataFilter]) -> Any:
    from weaviate.classes.query import Filter

    parts = []
    for f in filters:
        values = f.value if isinstance(f.value, list) else [f.value]
        if f.key == "document_id":
            parts.append(Filter.by_property("document_id").contains_any([str(v) for v in values]))
        else:
            parts.append(Filter.by_property("meta_kv").contains_any([kv_token(f.key, v) for v in values]))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Filter.all_of(parts)


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
