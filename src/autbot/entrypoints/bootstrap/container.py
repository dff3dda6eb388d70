"""The composition root: adapters chosen from settings with ``providers.Selector``.

Only ``entrypoints`` knows this container. Backend names come from one table (``settings.BACKENDS``);
an unknown one fails at start-up, listing the valid ones. Client lifecycles (stores, models) are
``providers.Resource``s, closed on shutdown.
"""

from __future__ import annotations

from typing import Any

from autbot.adapters.rerankers.identity import NoReranker  # a tiny module: no SDK behind it
from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.bootstrap.data_dir import private_data_dir
from autbot.entrypoints.bootstrap.factories import (
    audit,
    clients,
    generations,
    golden_sets,
    indexes,
    ingestion,
    keys,
    language_models,
    limits,
    quotas,
    secret_stores,
    sessions,
    tokens,
)
from autbot.entrypoints.bootstrap.factories import embedders as embedder_factories
from autbot.entrypoints.bootstrap.injection import containers, providers
from autbot.entrypoints.bootstrap.memory import releasing_memory
from autbot.entrypoints.observability.telemetry import Telemetry
from autbot.entrypoints.settings import BACKENDS, Settings
from autbot.use_cases.answer import AnswerQuestion, StreamAnswer
from autbot.use_cases.audit import QueryAudit
from autbot.use_cases.authenticate import Authenticate
from autbot.use_cases.chat import ChatCompletions, StreamChatCompletions
from autbot.use_cases.documents import DeleteCollection, DeleteDocument, GetDocument, ListCollections, ListDocuments
from autbot.use_cases.embeddings import EmbedTexts
from autbot.use_cases.evaluations import EvaluateCollection, GetGoldenSet, ListEvaluations, PutGoldenSet
from autbot.use_cases.ingest import IngestDocuments
from autbot.use_cases.ingest_files import IngestFiles
from autbot.use_cases.keys import CreateKey, ListKeys, RevokeKey
from autbot.use_cases.models import DescribeModel, ListModels
from autbot.use_cases.readiness import CheckReadiness
from autbot.use_cases.search import SearchChunks
from autbot.use_cases.session_owners import AdoptNamedSessions
from autbot.use_cases.sessions import (
    AskInSession,
    CreateSession,
    DeleteSession,
    GetSession,
    ListSessions,
    StreamInSession,
)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    secrets = providers.Selector(
        providers.Callable(lambda s: s.secrets.backend, settings),
        env=providers.Singleton(secret_stores.env_secret_store, settings),
        file=providers.Singleton(secret_stores.file_secret_store, settings),
    )
    embedders = providers.Selector(
        providers.Callable(lambda s: s.embedder.backend, settings),
        onnx=providers.Singleton(embedder_factories.onnx_catalogue, settings),
        hashing=providers.Singleton(embedder_factories.hashing_catalogue, settings),
    )
    """The embedding models served, by name; a collection is embedded and searched with its own model."""
    embedder = providers.Callable(embedder_factories.default_embedder, embedders)
    """The default model (the readiness check)."""
    data_dir = providers.Singleton(lambda s: private_data_dir(s.storage.data_dir), settings)  # owner-only
    weaviate = providers.Resource(clients.weaviate_connection, settings, secrets)
    """One Weaviate client per process, shared by its chunk index and registry."""
    index_backend = providers.Callable(lambda s: s.index.backend, settings)
    chunk_index = providers.Selector(
        index_backend,
        chroma=providers.Resource(indexes.chroma_chunk_index, settings, data_dir),
        weaviate=providers.Singleton(indexes.weaviate_chunk_index, settings, weaviate),
        memory=providers.Resource(indexes.memory_chunk_index),
    )
    registry = providers.Selector(
        index_backend,
        chroma=providers.Resource(indexes.sqlite_registry, settings, data_dir),
        weaviate=providers.Singleton(indexes.weaviate_registry, settings, weaviate),
        memory=providers.Resource(indexes.memory_registry),
    )
    generation_store = providers.Selector(  # index generations and source texts, beside the registry
        index_backend,
        chroma=providers.Resource(generations.sqlite_generations, settings, data_dir),
        weaviate=providers.Singleton(generations.weaviate_generations, settings, weaviate),
        memory=providers.Singleton(generations.memory_generations, registry),
    )
    golden_set_store = providers.Selector(  # golden sets and evaluations, beside the registry
        index_backend,
        chroma=providers.Resource(golden_sets.sqlite_golden_sets, settings, data_dir),
        weaviate=providers.Singleton(golden_sets.weaviate_golden_sets, settings, weaviate),
        memory=providers.Singleton(golden_sets.memory_golden_sets),
    )
    document_locks = providers.Singleton(ingestion.document_locks)
    redis = providers.Resource(clients.redis_client, settings, secrets)
    """One Redis pool per process, built only when a Redis-backed adapter is chosen."""
    key_store = providers.Selector(
        providers.Callable(lambda s: s.auth.keys_backend, settings),
        sqlite=providers.Resource(keys.sqlite_key_store, settings, data_dir),
        redis=providers.Singleton(keys.redis_key_store, redis),
        memory=providers.Singleton(keys.memory_key_store),
    )
    telemetry = providers.Singleton(Telemetry.from_settings, settings)
    """Metrics and tracer (``entrypoints/observability``); adapters are wrapped with them at start-up."""
    quota_redis = providers.Singleton(clients.redis_link, settings, secrets, telemetry)
    """One asyncio Redis client per process for rate limits and token budgets (closed by ``aclose``)."""
    quota_storage = providers.Callable(lambda s: s.limits.storage, settings)
    rate_limiter = providers.Selector(
        quota_storage,
        memory=providers.Singleton(quotas.memory_rate_limiter, settings),
        redis=providers.Singleton(quotas.redis_rate_limiter, settings, quota_redis),
    )
    token_budget = providers.Selector(
        quota_storage,
        memory=providers.Singleton(quotas.memory_token_budget),
        redis=providers.Singleton(quotas.redis_token_budget, settings, quota_redis),
    )
    generation_slots = providers.Singleton(quotas.generation_slots, settings)
    """Per process: bounds the generations of the model this process drives."""
    llm = providers.Selector(
        providers.Callable(lambda s: s.llm.backend, settings),
        local=providers.Resource(language_models.local_language_model, settings),
        openai=providers.Resource(language_models.openai_language_model, settings, secrets),
        fake=providers.Resource(language_models.fake_language_model, settings),
    )
    splitter = providers.Singleton(ingestion.text_splitter, settings)
    reranker = providers.Singleton(NoReranker)
    """The search reranker: ``NoReranker`` (no cross-encoder ships in a reachable package yet)."""
    reader = providers.Singleton(ingestion.document_reader, settings)

    # Use cases are stateless: built once, shared by every request.
    ingest_documents = providers.Singleton(
        releasing_memory,
        providers.Singleton(
            IngestDocuments,
            embedders=embedders,
            chunks=chunk_index,
            registry=registry,
            splitter=splitter,
            locks=document_locks,
            limits=providers.Callable(limits.ingest_limits, settings),
            generations=generation_store,
            splitters=providers.Callable(ingestion.splitter_factory, settings),
        ),
        enabled=providers.Callable(lambda s: s.server.malloc_trim, settings),
    )
    ingest_files = providers.Singleton(IngestFiles, reader=reader, ingest=ingest_documents)
    search_chunks = providers.Singleton(
        SearchChunks,
        embedders=embedders,
        chunks=chunk_index,
        registry=registry,
        limits=providers.Callable(limits.search_limits, settings),
        reranker=reranker,
    )
    answer_limits = providers.Callable(limits.answer_limits, settings)
    _answering = {
        "search": search_chunks,
        "llm": llm,
        "limits": answer_limits,
        "budget": token_budget,
        "slots": generation_slots,
    }
    """What every answering use case is built from: whole or streamed answers, chat, session messages."""
    answer_question = providers.Singleton(AnswerQuestion, **_answering)
    stream_answer = providers.Singleton(StreamAnswer, **_answering)
    list_documents = providers.Singleton(ListDocuments, registry=registry)
    get_document = providers.Singleton(GetDocument, registry=registry)
    _documents = {"registry": registry, "chunks": chunk_index, "generations": generation_store}
    delete_document = providers.Singleton(DeleteDocument, **_documents)
    list_collections = providers.Singleton(ListCollections, registry=registry, chunks=chunk_index)
    delete_collection = providers.Singleton(DeleteCollection, golden_sets=golden_set_store, **_documents)
    del _documents
    put_golden_set = providers.Singleton(PutGoldenSet, registry=registry, store=golden_set_store)
    get_golden_set = providers.Singleton(GetGoldenSet, registry=registry, store=golden_set_store)
    evaluate_collection = providers.Singleton(
        EvaluateCollection, registry=registry, store=golden_set_store, search=search_chunks
    )
    list_evaluations = providers.Singleton(ListEvaluations, registry=registry, store=golden_set_store)
    token_verifier = providers.Resource(tokens.token_verifier, settings)
    authenticate = providers.Singleton(
        Authenticate,
        keys=key_store,
        always_required=providers.Callable(keys.keys_always_required, settings),
        tokens=token_verifier,
        policies=providers.Callable(tokens.issuer_policies, settings),
    )
    create_key = providers.Singleton(CreateKey, keys=key_store)
    list_keys = providers.Singleton(ListKeys, keys=key_store)
    revoke_key = providers.Singleton(RevokeKey, keys=key_store)
    audit_log = providers.Selector(
        providers.Callable(lambda s: s.audit.backend, settings),
        sqlite=providers.Resource(audit.sqlite_audit_log, settings, data_dir),
        redis=providers.Singleton(audit.redis_audit_log, redis),
        memory=providers.Singleton(audit.memory_audit_log),
    )
    record_audit = providers.Singleton(audit.record_audit, settings, audit_log)
    query_audit = providers.Singleton(QueryAudit, log=audit_log)
    check_readiness = providers.Singleton(
        CheckReadiness, embedder=embedder, chunks=chunk_index, registry=registry, llm=llm
    )
    # the OpenAI-compatible API and server-side sessions
    chat_aliases = providers.Callable(lambda s: tuple(s.openai_api.chat_aliases), settings)
    embedding_alias = providers.Callable(lambda s: s.openai_api.embedding_alias, settings)
    chat_completions = providers.Singleton(ChatCompletions, chat_aliases=chat_aliases, **_answering)
    stream_chat_completions = providers.Singleton(StreamChatCompletions, chat_aliases=chat_aliases, **_answering)
    list_models = providers.Singleton(
        ListModels, registry=registry, embedders=embedders, chat_aliases=chat_aliases, embedding_alias=embedding_alias
    )
    describe_model = providers.Singleton(
        DescribeModel,
        registry=registry,
        embedders=embedders,
        chat_aliases=chat_aliases,
        embedding_alias=embedding_alias,
    )
    embed_texts = providers.Singleton(EmbedTexts, embedders=embedders, embedding_alias=embedding_alias)
    session_store = providers.Selector(
        providers.Callable(lambda s: s.sessions.backend, settings),
        sqlite=providers.Resource(sessions.sqlite_session_store, settings, data_dir),
        redis=providers.Singleton(sessions.redis_session_store, settings, redis),
        memory=providers.Singleton(sessions.memory_session_store, settings),
    )
    create_session = providers.Singleton(
        CreateSession,
        store=session_store,
        registry=registry,
        limits=providers.Callable(limits.session_limits, settings),
    )
    list_sessions = providers.Singleton(ListSessions, store=session_store)
    get_session = providers.Singleton(GetSession, store=session_store)
    delete_session = providers.Singleton(DeleteSession, store=session_store)
    adopt_named_sessions = providers.Singleton(AdoptNamedSessions, keys=key_store, store=session_store)
    ask_in_session = providers.Singleton(AskInSession, store=session_store, **_answering)
    stream_in_session = providers.Singleton(StreamInSession, store=session_store, **_answering)
    del _answering


SELECTORS: dict[str, tuple[str, ...]] = {
    "secrets.backend": ("secrets",),
    "embedder.backend": ("embedders",),
    "index.backend": ("chunk_index", "registry", "golden_set_store", "generation_store"),
    "llm.backend": ("llm",),
    "auth.keys_backend": ("key_store",),
    "sessions.backend": ("session_store",),
    "audit.backend": ("audit_log",),
    "limits.storage": ("rate_limiter", "token_budget"),
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
    *("put_golden_set", "get_golden_set", "evaluate_collection", "list_evaluations"),
    "check_readiness",
    "chat_completions",
    "stream_chat_completions",
    "list_models",
    "describe_model",
    "embed_texts",
    "create_session",
    "list_sessions",
    "get_session",
    "delete_session",
    "ask_in_session",
    "stream_in_session",
    "query_audit",
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
