"""The Weaviate collections AutBot creates, and how AutBot names map onto them.

- ``Autbot_<name>``: one per AutBot collection, the chunks (HNSW, cosine, self-provided vectors; BM25
  on ``text``; metadata filters run on ``meta_kv``, an array of exact ``key=<json value>`` tokens).
- ``AutbotCollections`` and ``AutbotDocuments``: the registry, shared by every AutBot collection.
- ``AutbotGoldenSets`` and ``AutbotEvaluations``: each collection's golden set and evaluations (JSON text).
- ``Autbot_<name>_g<n>``: generation ``n`` of a collection's chunks (a re-index); ``AutbotSources``: the documents'
  source texts a re-index builds from. The live generation and the generation records are properties of the
  collection's ``AutbotCollections`` object.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from autbot.adapters.weaviate.connection import WeaviateConnection
from autbot.domain.model import MetadataValue

COLLECTIONS = "AutbotCollections"
DOCUMENTS = "AutbotDocuments"
GOLDEN_SETS = "AutbotGoldenSets"
EVALUATIONS = "AutbotEvaluations"
SOURCES = "AutbotSources"


def weaviate_name(collection: str) -> str:
    """``my-docs_v2`` → ``Autbot_my_ddocs__v2``: a valid, collision-free Weaviate class name (a generation's
    ``kb.g1`` → ``Autbot_kb_gg1``)."""
    return "Autbot_" + collection.replace("_", "__").replace("-", "_d").replace(".", "_g")


def kv_token(key: str, value: MetadataValue) -> str:
    """An exact, typed filter token; integral floats equal their int (1.0 == 1), as in the domain."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{key}={json.dumps(value)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkSchema:
    """Vector index settings for new chunk collections."""

    replication_factor: int = 1
    quantization: str = "none"
    """none, pq, bq or sq."""
    ef_construction: int = 128
    max_connections: int = 32
    ef: int = -1


def create_chunk_collection(conn: WeaviateConnection, collection: str, schema: ChunkSchema) -> None:
    from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances

    quantizer: Any = {
        "pq": Configure.VectorIndex.Quantizer.pq,
        "bq": Configure.VectorIndex.Quantizer.bq,
        "sq": Configure.VectorIndex.Quantizer.sq,
    }.get(schema.quantization)
    name = weaviate_name(collection)
    conn.create(
        name,
        functools.partial(
            conn.client.collections.create,
            name,
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
                    ef_construction=schema.ef_construction,
                    max_connections=schema.max_connections,
                    ef=schema.ef,
                ),
            ),
            inverted_index_config=Configure.inverted_index(bm25_b=0.75, bm25_k1=1.2),
            replication_config=Configure.replication(factor=schema.replication_factor),
        ),
    )


def create_registry_collections(conn: WeaviateConnection, replication_factor: int) -> None:
    from weaviate.classes.config import DataType, Property, Tokenization

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
    _create_records(conn, specs, replication_factor)


def create_golden_set_collections(conn: WeaviateConnection, replication_factor: int) -> None:
    from weaviate.classes.config import DataType, Property, Tokenization

    def body() -> Any:
        return Property(name="body", data_type=DataType.TEXT, index_filterable=False, index_searchable=False)

    def field(name: str) -> Any:
        return Property(name=name, data_type=DataType.TEXT, tokenization=Tokenization.FIELD)

    specs = {
        GOLDEN_SETS: [field("collection"), body(), Property(name="updated_at", data_type=DataType.NUMBER)],
        EVALUATIONS: [
            field("collection"),
            field("evaluation_id"),
            Property(name="created_at", data_type=DataType.NUMBER),
            body(),
        ],
    }
    _create_records(conn, specs, replication_factor)


def create_generation_records(conn: WeaviateConnection, replication_factor: int) -> None:
    """``AutbotCollections`` gains the live generation's number and the generation records (JSON), so a switch is
    one object write; ``AutbotSources`` keeps each document's source text for re-indexing."""
    from weaviate.classes.config import DataType, Property, Tokenization

    config = conn.client.collections.use(COLLECTIONS).config
    have = {p.name for p in config.get().properties}
    for prop in (
        Property(name="generation", data_type=DataType.INT),
        Property(name="generations_json", data_type=DataType.TEXT, index_filterable=False, index_searchable=False),
    ):
        if prop.name not in have:
            config.add_property(prop)

    def field(name: str) -> Any:
        return Property(name=name, data_type=DataType.TEXT, tokenization=Tokenization.FIELD)

    text = Property(name="text", data_type=DataType.TEXT, index_filterable=False, index_searchable=False)
    _create_records(
        conn, {SOURCES: [field("collection"), field("document_id"), field("version"), text]}, replication_factor
    )


def _create_records(conn: WeaviateConnection, specs: dict[str, list[Any]], replication_factor: int) -> None:
    from weaviate.classes.config import Configure

    for name, props in specs.items():
        conn.create(
            name,
            functools.partial(
                conn.client.collections.create,
                name,
                properties=props,
                vector_config=Configure.Vectors.self_provided(),
                replication_config=Configure.replication(factor=replication_factor),
            ),
        )
