"""The composition root: adapters chosen from settings with ``providers.Selector``.

Only ``entrypoints`` knows this container. An unknown backend name fails at start-up, listing the
valid ones. Client lifecycles (vector stores, models) are ``providers.Resource``s, closed on shutdown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from dependency_injector import containers, providers

from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.settings import Settings
from autbot.ports.language_model import LanguageModel
from autbot.ports.secret_store import SecretStore
from autbot.ports.vector_index import VectorIndex
from autbot.use_cases.answer import AnswerLimits, AnswerQuestion
from autbot.use_cases.documents import (
    DeleteCollection,
    DeleteDocument,
    GetDocument,
    ListCollections,
    ListDocuments,
)
from autbot.use_cases.ingest import IngestDocuments, IngestLimits
from autbot.use_cases.readiness import CheckReadiness
from autbot.use_cases.search import SearchChunks


class _Closable(Protocol):
    def close(self) -> None: ...


def _closing(make: Callable[..., _Closable], *args: Any) -> Iterator[_Closable]:
    """A client whose lifetime is the container's: built on first use, closed on shutdown."""
    resource = make(*args)
    try:
        yield resource
    finally:
        resource.close()


def _onnx_embedder(s: Settings) -> Any:
    from autbot.adapters.embedders.onnx import OnnxEmbedder

    e = s.embedder
    return OnnxEmbedder(
        model_path=e.model_path, tokenizer_path=e.tokenizer_path, threads=e.threads, batch_size=e.batch_size
    )


def _hashing_embedder(s: Settings) -> Any:
    from autbot.adapters.embedders.hashing import HashingEmbedder

    return HashingEmbedder(dimension=s.embedder.hashing_dimension)


def _chroma_index(s: Settings) -> VectorIndex:
    from pathlib import Path

    from autbot.adapters.vector_index.chroma import ChromaVectorIndex

    index = ChromaVectorIndex(
        path=str(Path(s.storage.data_dir) / "index"),
        hnsw_ef_search=s.index.hnsw_ef_search,
        hnsw_max_neighbors=s.index.hnsw_max_neighbors,
        hnsw_ef_construction=s.index.hnsw_ef_construction,
    )
    return index


def _weaviate_index(s: Settings, secrets: SecretStore) -> VectorIndex:
    from autbot.adapters.vector_index.weaviate import WeaviateVectorIndex

    w = s.index.weaviate
    index = WeaviateVectorIndex(
        http_host=w.http_host,
        http_port=w.http_port,
        grpc_host=w.grpc_host,
        grpc_port=w.grpc_port,
        secure=w.secure,
        api_key=secrets.get(w.api_key_secret),
        init_timeout_s=w.init_timeout_s,
        query_timeout_s=w.query_timeout_s,
        insert_timeout_s=w.insert_timeout_s,
        replication_factor=w.replication_factor,
        consistency_level=w.consistency_level,
        quantization=w.quantization,
        ef_construction=w.ef_construction,
        max_connections=w.max_connections,
        ef=w.ef,
        batch_size=w.batch_size,
        write_retries=w.write_retries,
    )
    return index


def _memory_index() -> VectorIndex:
    from autbot.adapters.vector_index.memory import InMemoryVectorIndex

    return InMemoryVectorIndex()


def _local_llm(s: Settings) -> LanguageModel:
    from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel

    c = s.llm.local
    llm = LlamaCppLanguageModel(
        model_path=c.model_path,
        threads=c.threads,
        context_tokens=c.context_tokens,
        parallel=c.parallel,
        preload=c.preload,
    )
    return llm


def _openai_llm(s: Settings, secrets: SecretStore) -> LanguageModel:
    from autbot.adapters.llm.openai import OpenAILanguageModel

    c = s.llm.openai
    llm = OpenAILanguageModel(
        base_url=c.base_url,
        model=c.model,
        api_key=secrets.get(c.api_key_secret),
        timeout_s=s.llm.timeout_s,
        max_retries=c.max_retries,
        backoff_s=c.backoff_s,
        max_backoff_s=c.max_backoff_s,
    )
    return llm


def _fake_llm() -> LanguageModel:
    from autbot.adapters.llm.fake import ScriptedLanguageModel

    return ScriptedLanguageModel()


def _splitter(s: Settings) -> Any:
    from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter

    return LlamaIndexTextSplitter(chunk_size=s.splitter.chunk_size, chunk_overlap=s.splitter.chunk_overlap)


def _reader(s: Settings) -> Any:
    from autbot.adapters.readers.multi_format import MultiFormatDocumentReader

    return MultiFormatDocumentReader(max_bytes=s.ingest.max_file_bytes)


def _env_secrets(s: Settings) -> SecretStore:
    from autbot.adapters.secrets.stores import EnvSecretStore

    return EnvSecretStore(prefix=s.secrets.env_prefix)


def _file_secrets(s: Settings) -> SecretStore:
    from autbot.adapters.secrets.stores import FileSecretStore

    return FileSecretStore(directory=s.secrets.directory)


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
    vector_index = providers.Selector(
        providers.Callable(lambda s: s.index.backend, settings),
        chroma=providers.Resource(_closing, _chroma_index, settings),
        weaviate=providers.Resource(_closing, _weaviate_index, settings, secrets),
        memory=providers.Resource(_closing, _memory_index),
    )
    llm = providers.Selector(
        providers.Callable(lambda s: s.llm.backend, settings),
        local=providers.Resource(_closing, _local_llm, settings),
        openai=providers.Resource(_closing, _openai_llm, settings, secrets),
        fake=providers.Resource(_closing, _fake_llm),
    )
    splitter = providers.Singleton(_splitter, settings)
    reader = providers.Singleton(_reader, settings)

    ingest_documents = providers.Factory(
        IngestDocuments,
        embedder=embedder,
        index=vector_index,
        splitter=splitter,
        limits=providers.Callable(
            lambda s: IngestLimits(
                max_document_chars=s.ingest.max_document_chars,
                max_documents_per_request=s.ingest.max_documents_per_request,
                embed_batch_size=s.ingest.embed_batch_size,
            ),
            settings,
        ),
    )
    search_chunks = providers.Factory(
        SearchChunks,
        embedder=embedder,
        index=vector_index,
        default_alpha=providers.Callable(lambda s: s.search.hybrid_alpha, settings),
    )
    answer_question = providers.Factory(
        AnswerQuestion,
        search=search_chunks,
        llm=llm,
        limits=providers.Callable(
            lambda s: AnswerLimits(
                max_prompt_tokens=s.llm.max_prompt_tokens,
                max_output_tokens=s.llm.max_output_tokens,
                default_output_tokens=s.llm.default_output_tokens,
                timeout_s=s.llm.timeout_s,
                min_vector_score=s.llm.min_vector_score,
            ),
            settings,
        ),
    )
    list_documents = providers.Factory(ListDocuments, index=vector_index)
    get_document = providers.Factory(GetDocument, index=vector_index)
    delete_document = providers.Factory(DeleteDocument, index=vector_index)
    list_collections = providers.Factory(ListCollections, index=vector_index)
    delete_collection = providers.Factory(DeleteCollection, index=vector_index)
    check_readiness = providers.Factory(CheckReadiness, embedder=embedder, index=vector_index, llm=llm)


_SELECTORS: dict[str, tuple[str, Callable[[Settings], str]]] = {
    "secrets.backend": ("secrets", lambda s: s.secrets.backend),
    "embedder.backend": ("embedder", lambda s: s.embedder.backend),
    "index.backend": ("vector_index", lambda s: s.index.backend),
    "llm.backend": ("llm", lambda s: s.llm.backend),
}


def build_container(settings: Settings, overrides: dict[str, Any] | None = None) -> Container:
    """A container for these settings. ``overrides`` replaces providers by name with objects."""
    container = Container(settings=settings)
    for key, (attr, pick) in _SELECTORS.items():
        selector = getattr(container, attr)
        name = pick(settings)
        if attr not in (overrides or {}) and name not in selector.providers:
            raise ConfigurationError(
                f"Setting '{key}' = '{name}' is not one of: {', '.join(sorted(selector.providers))}.",
                key=key,
            )
    for name, obj in (overrides or {}).items():
        provider = getattr(container, name, None)
        if not isinstance(provider, providers.Provider):
            raise ConfigurationError(f"Cannot override unknown provider '{name}'.")
        provider.override(providers.Object(obj))
    return container


def start(container: Container) -> None:
    """Build the adapters now, so that a broken configuration fails at start-up, not on a request."""
    container.embedder()
    container.vector_index()
    container.llm()
    container.splitter()
    container.reader()


def stop(container: Container) -> None:
    container.shutdown_resources()  # type: ignore[no-untyped-call]
