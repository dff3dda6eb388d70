"""Adapter factories: each builds one adapter from settings, importing its SDK only when chosen.

The container (``container.py``) picks among them with ``providers.Selector``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from autbot.entrypoints.settings import Settings
from autbot.ports.secret_store import SecretStore


class _Closable(Protocol):
    def close(self) -> None: ...


def _closing(make: Callable[..., _Closable], *args: Any) -> Iterator[_Closable]:
    """A client whose lifetime is the container's: built on first use, closed on shutdown."""
    resource = make(*args)
    try:
        yield resource
    finally:
        resource.close()


# --- adapter factories (heavy SDKs are imported inside, only for the chosen backend) ----------------
def _onnx_embedder(s: Settings) -> Any:
    from autbot.adapters.embedders.batching import micro_batched
    from autbot.adapters.embedders.onnx import OnnxEmbedder

    e = s.embedder
    onnx = OnnxEmbedder(
        model_path=e.model_path,
        tokenizer_path=e.tokenizer_path,
        threads=e.threads,
        batch_size=e.batch_size,
        memory_arena=e.memory_arena,
    )
    return micro_batched(onnx, window_ms=e.micro_batch_ms)


def _hashing_embedder(s: Settings) -> Any:
    from autbot.adapters.embedders.hashing import HashingEmbedder

    return HashingEmbedder(dimension=s.embedder.hashing_dimension)


def _chroma_chunks(s: Settings, data_dir: Path) -> Any:
    from autbot.adapters.chunk_index.chroma import ChromaChunkIndex

    c = s.index.chroma
    return ChromaChunkIndex(
        path=str(data_dir / "index"),
        hnsw_ef_search=c.hnsw_ef_search,
        hnsw_max_neighbors=c.hnsw_max_neighbors,
        hnsw_ef_construction=c.hnsw_ef_construction,
    )


def _sqlite_registry(data_dir: Path) -> Any:
    from autbot.adapters.registry.sqlite import SqliteDocumentRegistry

    return SqliteDocumentRegistry(data_dir / "index" / "registry.sqlite3")


def _weaviate_connection(s: Settings, secrets: SecretStore) -> Any:
    from autbot.adapters.weaviate.connection import WeaviateConnection

    w = s.index.weaviate
    return WeaviateConnection(
        http_host=w.http_host,
        http_port=w.http_port,
        grpc_host=w.grpc_host,
        grpc_port=w.grpc_port,
        secure=w.secure,
        api_key=lambda: secrets.get(w.api_key_secret),  # read again when it may have rotated
        init_timeout_s=w.init_timeout_s,
        query_timeout_s=w.query_timeout_s,
        insert_timeout_s=w.insert_timeout_s,
        consistency_level=w.consistency_level,
        write_retries=w.write_retries,
    )


def _weaviate_chunks(s: Settings, connection: Any) -> Any:
    from autbot.adapters.weaviate.chunks import WeaviateChunkIndex
    from autbot.adapters.weaviate.schema import ChunkSchema

    w = s.index.weaviate
    schema = ChunkSchema(
        replication_factor=w.replication_factor,
        quantization=w.quantization,
        ef_construction=w.ef_construction,
        max_connections=w.max_connections,
        ef=w.ef,
    )
    return WeaviateChunkIndex(connection, schema=schema, batch_size=w.batch_size)


def _weaviate_registry(s: Settings, connection: Any) -> Any:
    from autbot.adapters.weaviate.registry import WeaviateDocumentRegistry

    return WeaviateDocumentRegistry(connection, replication_factor=s.index.weaviate.replication_factor)


def _memory_chunks() -> Any:
    from autbot.adapters.chunk_index.memory import InMemoryChunkIndex

    return InMemoryChunkIndex()


def _memory_registry() -> Any:
    from autbot.adapters.registry.memory import InMemoryDocumentRegistry

    return InMemoryDocumentRegistry()


def _document_locks() -> Any:
    from autbot.adapters.locks.in_process import InProcessDocumentLocks

    return InProcessDocumentLocks()


def _local_llm(s: Settings) -> Any:
    from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel

    c = s.llm.local
    return LlamaCppLanguageModel(
        model_path=c.model_path,
        threads=c.threads,
        context_tokens=c.context_tokens,
        parallel=c.parallel,
        kv_cache=c.kv_cache,
        prompt_cache_mb=c.prompt_cache_mb,
        micro_batch=c.micro_batch,
        preload=c.preload,
    )


def _openai_llm(s: Settings, secrets: SecretStore) -> Any:
    from autbot.adapters.llm.openai import OpenAILanguageModel

    c = s.llm.openai
    return OpenAILanguageModel(
        base_url=c.base_url,
        model=c.model,
        api_key=lambda: secrets.get(c.api_key_secret),  # read per call: a rotated key is used at once
        timeout_s=s.llm.timeout_s,
        max_retries=c.max_retries,
        backoff_s=c.backoff_s,
        max_backoff_s=c.max_backoff_s,
    )


def _fake_llm(s: Settings) -> Any:
    from autbot.adapters.llm.fake import ScriptedLanguageModel

    return ScriptedLanguageModel(token_delay_s=s.llm.fake_token_delay_s)


def _splitter(s: Settings) -> Any:
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter

    return LlamaIndexTextSplitter(chunk_size=s.splitter.chunk_size, chunk_overlap=s.splitter.chunk_overlap)


def _reader(s: Settings) -> Any:
    from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
    from autbot.adapters.readers.pdf import PdfLimits, ProcessPdfParser

    i = s.ingest
    limits = PdfLimits(
        max_pages=i.max_pdf_pages,
        max_decompressed_bytes=i.max_decompressed_bytes,
        max_chars=i.max_document_chars,
        max_seconds=i.max_parse_seconds,
    )  # PDFs are parsed in worker processes, started on the first PDF
    return MultiFormatDocumentReader(max_bytes=i.max_file_bytes, pdf=ProcessPdfParser(limits, workers=i.parse_workers))


def _env_secrets(s: Settings) -> Any:
    from autbot.adapters.secrets.stores import EnvSecretStore

    return EnvSecretStore(prefix=s.secrets.env_prefix)


def _file_secrets(s: Settings) -> Any:
    from autbot.adapters.secrets.stores import FileSecretStore

    return FileSecretStore(directory=s.secrets.directory)


def _redis_client(s: Settings, secrets: SecretStore) -> Iterator[Any]:
    """One Redis connection pool per process, with short timeouts: Redis is on the request path. The password
    is read for each new connection: a rotated secret needs no restart (``redis_link.credential_options``)."""
    import redis

    from autbot.adapters.quotas.redis_link import credential_options

    r = s.redis
    url, credentials = credential_options(r.url, lambda: secrets.get(r.password_secret))
    client = redis.Redis.from_url(
        url,
        **credentials,
        socket_timeout=r.socket_timeout_s,
        socket_connect_timeout=r.socket_timeout_s,
        max_connections=r.max_connections,
        health_check_interval=30,
    )
    try:
        yield client
    finally:
        client.close()


def _sqlite_keys(data_dir: Path) -> Any:
    from autbot.adapters.keys.sqlite import SqliteKeyStore

    return SqliteKeyStore(data_dir / "keys.sqlite3")


def _redis_keys(client: Any) -> Any:
    from autbot.adapters.keys.redis import RedisKeyStore

    return RedisKeyStore(client)


def _memory_keys() -> Any:
    from autbot.adapters.keys.memory import InMemoryKeyStore

    return InMemoryKeyStore()


def keys_always_required(s: Settings) -> bool:
    """Keys are required whatever the key store holds when asked to, or when listening beyond loopback."""
    return s.auth.required or not is_loopback(s.server.host)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- rate limits, token budgets, generation slots ----------------------------------------------------
def _quota_redis(s: Settings, secrets: SecretStore, telemetry: Any) -> Any:
    """One asyncio Redis client per process for rate limits and budgets (the ``[redis]`` settings); its
    breaker state and failures are metrics (``dependency="redis"``)."""
    from autbot.adapters.quotas.redis_link import RedisLink

    r, m = s.redis, telemetry.metrics
    return RedisLink.connect(
        r.url,
        password=lambda: secrets.get(r.password_secret),
        timeout_s=r.socket_timeout_s,
        max_connections=r.max_connections,
        recheck_s=s.limits.redis_recheck_s,
        on_change=m.circuit_changed,
        on_error=lambda kind: m.upstream_errors.labels("redis", "redis_unavailable").inc(),
    )


def _memory_rate_limiter(s: Settings) -> Any:
    from autbot.adapters.quotas.in_process import InProcessRateLimiter

    return InProcessRateLimiter(s.limits.rates(), strategy=s.limits.strategy)


def _redis_rate_limiter(s: Settings, link: Any) -> Any:
    from autbot.adapters.quotas.limits import LimitsRateLimiter

    return LimitsRateLimiter(
        s.limits.rates(), strategy=s.limits.strategy, redis=link, on_failure=s.limits.requests_on_redis_failure
    )


def _memory_budget() -> Any:
    from autbot.adapters.quotas.budgets import InMemoryTokenBudget

    return InMemoryTokenBudget()


def _redis_budget(s: Settings, link: Any) -> Any:
    from autbot.adapters.quotas.budgets import RedisTokenBudget

    return RedisTokenBudget(link, on_failure=s.limits.budget_on_redis_failure)


def _generation_slots(s: Settings) -> Any:
    from autbot.adapters.slots.in_process import InProcessGenerationSlots

    return InProcessGenerationSlots(s.llm.max_concurrent, s.llm.max_queue)
