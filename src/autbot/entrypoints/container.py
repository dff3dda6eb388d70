"""The composition root: adapters chosen from settings with ``providers.Selector``.

Only ``entrypoints`` knows this container. Backend names come from one table (``settings.BACKENDS``);
an unknown one fails at start-up, listing the valid ones. Client lifecycles (stores, models) are
``providers.Resource``s, closed on shutdown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from dependency_injector import containers, providers

from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.settings import BACKENDS, Settings
from autbot.ports.secret_store import SecretStore
from autbot.use_cases.answer import AnswerLimits, AnswerQuestion, StreamAnswer
from autbot.use_cases.documents import DeleteCollection, DeleteDocument, GetDocument, ListCollections, ListDocuments
from autbot.use_cases.ingest import IngestDocuments, IngestLimits
from autbot.use_cases.ingest_files import IngestFiles
from autbot.use_cases.readiness import CheckReadiness
from autbot.use_cases.search import SearchChunks, SearchLimits


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
    from autbot.adapters.embedders.onnx import OnnxEmbedder

    e = s.embedder
    return OnnxEmbedder(
        model_path=e.model_path, tokenizer_path=e.tokenizer_path, threads=e.threads, batch_size=e.batch_size
    )


def _hashing_embedder(s: Settings) -> Any:
    from autbot.adapters.embedders.hashing import HashingEmbedder

    return HashingEmbedder(dimension=s.embedder.hashing_dimension)


def _chroma_chunks(s: Settings) -> Any:
    from autbot.adapters.chunk_index.chroma import ChromaChunkIndex

    c = s.index.chroma
    return ChromaChunkIndex(
        path=str(Path(s.storage.data_dir) / "index"),
        hnsw_ef_search=c.hnsw_ef_search,
        hnsw_max_neighbors=c.hnsw_max_neighbors,
        hnsw_ef_construction=c.hnsw_ef_construction,
    )


def _sqlite_registry(s: Settings) -> Any:
    from autbot.adapters.registry.sqlite import SqliteDocumentRegistry

    return SqliteDocumentRegistry(Path(s.storage.data_dir) / "index" / "registry.sqlite3")


def _weaviate_connection(s: Settings, secrets: SecretStore) -> Any:
    from autbot.adapters.weaviate.connection import WeaviateConnection

    w = s.index.weaviate
    return WeaviateConnection(
        http_host=w.http_host,
        http_port=w.http_port,
        grpc_host=w.grpc_host,
        grpc_port=w.grpc_port,
        secure=w.secure,
        api_key=secrets.get(w.api_key_secret),
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
        preload=c.preload,
    )


def _openai_llm(s: Settings, secrets: SecretStore) -> Any:
    from autbot.adapters.llm.openai import OpenAILanguageModel

    c = s.llm.openai
    return OpenAILanguageModel(
        base_url=c.base_url,
        model=c.model,
        api_key=secrets.get(c.api_key_secret),
        timeout_s=s.llm.timeout_s,
        max_retries=c.max_retries,
        backoff_s=c.backoff_s,
        max_backoff_s=c.max_backoff_s,
    )


def _fake_llm() -> Any:
    from autbot.adapters.llm.fake import ScriptedLanguageModel

    return ScriptedLanguageModel()


def _splitter(s: Settings) -> Any:
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter

    return LlamaIndexTextSplitter(chunk_size=s.splitter.chunk_size, chunk_overlap=s.splitter.chunk_overlap)


def _reader(s: Settings) -> Any:
    from autbot.adapters.readers.multi_format import MultiFormatDocumentReader

    return MultiFormatDocumentReader(max_bytes=s.ingest.max_file_bytes)


def _env_secrets(s: Settings) -> Any:
    from autbot.adapters.secrets.stores import EnvSecretStore

    return EnvSecretStore(prefix=s.secrets.env_prefix)


def _file_secrets(s: Settings) -> Any:
    from autbot.adapters.secrets.stores import FileSecretStore

    return FileSecretStore(directory=s.secrets.directory)


# --- limits: each read from settings, whose defaults come from autbot.domain.limits ------------------
def _ingest_limits(s: Settings) -> IngestLimits:
    i = s.ingest
    return IngestLimits(
        max_document_chars=i.max_document_chars,
        max_documents_per_request=i.max_documents_per_request,
        embed_batch_size=i.embed_batch_size,
    )


def _search_limits(s: Settings) -> SearchLimits:
    return SearchLimits(default_alpha=s.search.hybrid_alpha)


def _answer_limits(s: Settings) -> AnswerLimits:
    m = s.llm
    return AnswerLimits(
        default_top_k=m.default_top_k,
        max_prompt_tokens=m.max_prompt_tokens,
        max_output_tokens=m.max_output_tokens,
        default_output_tokens=m.default_output_tokens,
        timeout_s=m.timeout_s,
        min_vector_score=m.min_vector_score,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    secrets = providers.Selector(
        providers.Callable(lambda s: s.secrets.backend, settings),
        env=providers.Singleton(_env_secrets, settings),
        file=providers.Singleton(_file_secrets, settings),
    )
    embedder = providers.Selector(
        providers.Callable(lambda s: s.embedder.backend, settings),
        onnx=providers.Singleton(_onnx_embedder, settings),
        hashing=providers.Singleton(_hashing_embedder, settings),
    )
    weaviate = providers.Resource(_closing, _weaviate_connection, settings, secrets)
    """One Weaviate client per process, shared by its chunk index and registry."""
    index_backend = providers.Callable(lambda s: s.index.backend, settings)
    chunk_index = providers.Selector(
        index_backend,
        chroma=providers.Resource(_closing, _chroma_chunks, settings),
        weaviate=providers.Singleton(_weaviate_chunks, settings, weaviate),
        memory=providers.Resource(_closing, _memory_chunks),
    )
    registry = providers.Selector(
        index_backend,
        chroma=providers.Resource(_closing, _sqlite_registry, settings),
        weaviate=providers.Singleton(_weaviate_registry, settings, weaviate),
        memory=providers.Resource(_closing, _memory_registry),
    )
    document_locks = providers.Singleton(_document_locks)
    llm = providers.Selector(
        providers.Callable(lambda s: s.llm.backend, settings),
        local=providers.Resource(_closing, _local_llm, settings),
        openai=providers.Resource(_closing, _openai_llm, settings, secrets),
        fake=providers.Resource(_closing, _fake_llm),
    )
    splitter = providers.Singleton(_splitter, settings)
    reader = providers.Singleton(_reader, settings)

    # Use cases are stateless: built once, shared by every request.
    ingest_documents = providers.Singleton(
        IngestDocuments,
        embedder=embedder,
        chunks=chunk_index,
        registry=registry,
        splitter=splitter,
        locks=document_locks,
        limits=providers.Callable(_ingest_limits, settings),
    )
    ingest_files = providers.Singleton(IngestFiles, reader=reader, ingest=ingest_documents)
    search_chunks = providers.Singleton(
        SearchChunks,
        embedder=embedder,
        chunks=chunk_index,
        registry=registry,
        limits=providers.Callable(_search_limits, settings),
    )
    answer_limits = providers.Callable(_answer_limits, settings)
    answer_question = providers.Singleton(AnswerQuestion, search=search_chunks, llm=llm, limits=answer_limits)
    stream_answer = providers.Singleton(StreamAnswer, search=search_chunks, llm=llm, limits=answer_limits)
    list_documents = providers.Singleton(ListDocuments, registry=registry)
    get_document = providers.Singleton(GetDocument, registry=registry)
    delete_document = providers.Singleton(DeleteDocument, registry=registry, chunks=chunk_index)
    list_collections = providers.Singleton(ListCollections, registry=registry, chunks=chunk_index)
    delete_collection = providers.Singleton(DeleteCollection, registry=registry, chunks=chunk_index)
    check_readiness = providers.Singleton(
        CheckReadiness, embedder=embedder, chunks=chunk_index, registry=registry, llm=llm
    )


SELECTORS: dict[str, tuple[str, ...]] = {
    "secrets.backend": ("secrets",),
    "embedder.backend": ("embedder",),
    "index.backend": ("chunk_index", "registry"),
    "llm.backend": ("llm",),
}
"""Which selectors each backend setting drives; each selector's choices are exactly ``BACKENDS[key]``."""

USE_CASES = (
    "ingest_documents",
    "ingest_files",
    "search_chunks",
    "answer_question",
    "stream_answer",
    "list_documents",
    "get_document",
    "delete_document",
    "list_collections",
    "delete_collection",
    "check_readiness",
)
"""The providers the HTTP entrypoint hands to handlers."""


def build_container(settings: Settings, overrides: dict[str, Any] | None = None) -> Container:
    """A container for these settings. ``overrides`` replaces providers by name with objects."""
    container = Container(settings=settings)
    for key, attrs in SELECTORS.items():
        for attr in attrs:
            choices = set(getattr(container, attr).providers)
            if choices != set(BACKENDS[key]):  # pragma: no cover - a programming error, caught by a unit test
                raise ConfigurationError(f"Selector '{attr}' offers {sorted(choices)}, settings allow {BACKENDS[key]}.")
    for name, obj in (overrides or {}).items():
        provider = getattr(container, name, None)
        if not isinstance(provider, providers.Provider):
            raise ConfigurationError(f"Cannot override unknown provider '{name}'.")
        provider.override(providers.Object(obj))
    return container


def start(container: Container) -> None:
    """Build the adapters now, so that a broken configuration fails at start-up, not on a request."""
    container.embedder()
    container.chunk_index()
    container.registry()
    container.llm()
    container.splitter()
    container.reader()


def stop(container: Container) -> None:
    container.shutdown_resources()  # type: ignore[no-untyped-call]
