"""The composition root: adapters chosen from settings with ``providers.Selector``.

Only ``entrypoints`` knows this container. Backend names come from one table (``settings.BACKENDS``);
an unknown one fails at start-up, listing the valid ones. Client lifecycles (stores, models) are
``providers.Resource``s, closed on shutdown.
"""

from __future__ import annotations

from typing import Any

from autbot.adapters.rerankers.identity import NoReranker  # a tiny module: no SDK behind it
from autbot.domain.errors import ConfigurationError
from autbot.domain.model import Fusion
from autbot.entrypoints.bootstrap import factories as f
from autbot.entrypoints.bootstrap import session_stores
from autbot.entrypoints.bootstrap.injection import containers, providers
from autbot.entrypoints.bootstrap.memory import MemoryReleasingIngest
from autbot.entrypoints.observability.telemetry import Telemetry
from autbot.entrypoints.settings import BACKENDS, Settings
from autbot.use_cases.answer import AnswerLimits, AnswerQuestion, StreamAnswer
from autbot.use_cases.authenticate import Authenticate
from autbot.use_cases.chat import ChatCompletions
from autbot.use_cases.documents import DeleteCollection, DeleteDocument, GetDocument, ListCollections, ListDocuments
from autbot.use_cases.embeddings import EmbedTexts
from autbot.use_cases.ingest import IngestLimits
from autbot.use_cases.ingest_files import IngestFiles
from autbot.use_cases.keys import CreateKey, ListKeys, RevokeKey
from autbot.use_cases.models import DescribeModel, ListModels
from autbot.use_cases.readiness import CheckReadiness
from autbot.use_cases.search import SearchChunks, SearchLimits
from autbot.use_cases.sessions import (
    AskInSession,
    CreateSession,
    DeleteSession,
    GetSession,
    ListSessions,
    StreamInSession,
)


# --- limits: each read from settings, whose defaults come from autbot.domain.limits ------------------
def ingest_limits(s: Settings) -> IngestLimits:
    i = s.ingest
    return IngestLimits(
        max_document_chars=i.max_document_chars,
        max_documents_per_request=i.max_documents_per_request,
        embed_batch_size=i.embed_batch_size,
    )


def _search_limits(s: Settings) -> SearchLimits:
    return SearchLimits(default_alpha=s.search.hybrid_alpha, fusion=Fusion(s.search.fusion))


def _answer_limits(s: Settings) -> AnswerLimits:
    m = s.llm
    return AnswerLimits(
        default_top_k=m.default_top_k,
        max_prompt_tokens=m.max_prompt_tokens,
        max_output_tokens=m.max_output_tokens,
        default_output_tokens=m.default_output_tokens,
        timeout_s=m.timeout_s,
        min_vector_score=m.min_vector_score,
        daily_tokens_per_key=s.limits.daily_tokens_per_key,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    secrets = providers.Selector(
        providers.Callable(lambda s: s.secrets.backend, settings),
        env=providers.Singleton(f._env_secrets, settings),
        file=providers.Singleton(f._file_secrets, settings),
    )
    embedder = providers.Selector(
        providers.Callable(lambda s: s.embedder.backend, settings),
        onnx=providers.Singleton(f._onnx_embedder, settings),
        hashing=providers.Singleton(f._hashing_embedder, settings),
    )
    weaviate = providers.Resource(f._closing, f._weaviate_connection, settings, secrets)
    """One Weaviate client per process, shared by its chunk index and registry."""
    index_backend = providers.Callable(lambda s: s.index.backend, settings)
    chunk_index = providers.Selector(
        index_backend,
        chroma=providers.Resource(f._closing, f._chroma_chunks, settings),
        weaviate=providers.Singleton(f._weaviate_chunks, settings, weaviate),
        memory=providers.Resource(f._closing, f._memory_chunks),
    )
    registry = providers.Selector(
        index_backend,
        chroma=providers.Resource(f._closing, f._sqlite_registry, settings),
        weaviate=providers.Singleton(f._weaviate_registry, settings, weaviate),
        memory=providers.Resource(f._closing, f._memory_registry),
    )
    document_locks = providers.Singleton(f._document_locks)
    redis = providers.Resource(f._redis_client, settings, secrets)
    """One Redis pool per process, built only when a Redis-backed adapter is chosen."""
    key_store = providers.Selector(
        providers.Callable(lambda s: s.auth.keys_backend, settings),
        sqlite=providers.Resource(f._closing, f._sqlite_keys, settings),
        redis=providers.Singleton(f._redis_keys, redis),
        memory=providers.Singleton(f._memory_keys),
    )
    telemetry = providers.Singleton(Telemetry.from_settings, settings)
    """Metrics and tracer (``entrypoints/observability``); adapters are wrapped with them at start-up."""
    quota_redis = providers.Singleton(f._quota_redis, settings, secrets, telemetry)
    """One asyncio Redis client per process for rate limits and token budgets (closed by ``aclose``)."""
    quota_storage = providers.Callable(lambda s: s.limits.storage, settings)
    rate_limiter = providers.Selector(
        quota_storage,
        memory=providers.Singleton(f._memory_rate_limiter, settings),
        redis=providers.Singleton(f._redis_rate_limiter, settings, quota_redis),
    )
    token_budget = providers.Selector(
        quota_storage,
        memory=providers.Singleton(f._memory_budget),
        redis=providers.Singleton(f._redis_budget, settings, quota_redis),
    )
    generation_slots = providers.Singleton(f._generation_slots, settings)
    """Per process: bounds the generations of the model this process drives."""
    llm = providers.Selector(
        providers.Callable(lambda s: s.llm.backend, settings),
        local=providers.Resource(f._closing, f._local_llm, settings),
        openai=providers.Resource(f._closing, f._openai_llm, settings, secrets),
        fake=providers.Resource(f._closing, f._fake_llm, settings),
    )
    splitter = providers.Singleton(f._splitter, settings)
    reranker = providers.Singleton(NoReranker)
    """The search reranker: ``NoReranker`` (no cross-encoder ships in a reachable package yet)."""
    reader = providers.Singleton(f._reader, settings)

    # Use cases are stateless: built once, shared by every request.
    ingest_documents = providers.Singleton(
        MemoryReleasingIngest,
        release_memory=providers.Callable(lambda s: s.server.malloc_trim, settings),
        embedder=embedder,
        chunks=chunk_index,
        registry=registry,
        splitter=splitter,
        locks=document_locks,
        limits=providers.Callable(ingest_limits, settings),
    )
    ingest_files = providers.Singleton(IngestFiles, reader=reader, ingest=ingest_documents)
    search_chunks = providers.Singleton(
        SearchChunks,
        embedder=embedder,
        chunks=chunk_index,
        registry=registry,
        limits=providers.Callable(_search_limits, settings),
        reranker=reranker,
    )
    answer_limits = providers.Callable(_answer_limits, settings)
    answer_question = providers.Singleton(
        AnswerQuestion,
        search=search_chunks,
        llm=llm,
        limits=answer_limits,
        budget=token_budget,
        slots=generation_slots,
    )
    stream_answer = providers.Singleton(
        StreamAnswer,
        search=search_chunks,
        llm=llm,
        limits=answer_limits,
        budget=token_budget,
        slots=generation_slots,
    )
    list_documents = providers.Singleton(ListDocuments, registry=registry)
    get_document = providers.Singleton(GetDocument, registry=registry)
    delete_document = providers.Singleton(DeleteDocument, registry=registry, chunks=chunk_index)
    list_collections = providers.Singleton(ListCollections, registry=registry, chunks=chunk_index)
    delete_collection = providers.Singleton(DeleteCollection, registry=registry, chunks=chunk_index)
    authenticate = providers.Singleton(
        Authenticate, keys=key_store, always_required=providers.Callable(f.keys_always_required, settings)
    )
    create_key = providers.Singleton(CreateKey, keys=key_store)
    list_keys = providers.Singleton(ListKeys, keys=key_store)
    revoke_key = providers.Singleton(RevokeKey, keys=key_store)
    check_readiness = providers.Singleton(
        CheckReadiness, embedder=embedder, chunks=chunk_index, registry=registry, llm=llm
    )
    # the OpenAI-compatible API and server-side sessions
    chat_aliases = providers.Callable(lambda s: tuple(s.openai_api.chat_aliases), settings)
    embedding_alias = providers.Callable(lambda s: s.openai_api.embedding_alias, settings)
    chat_completions = providers.Singleton(
        ChatCompletions,
        answer=answer_question,
        stream=stream_answer,
        llm=llm,
        chat_aliases=chat_aliases,
        limits=answer_limits,
        budget=token_budget,
        slots=generation_slots,
    )
    list_models = providers.Singleton(
        ListModels, registry=registry, embedder=embedder, chat_aliases=chat_aliases, embedding_alias=embedding_alias
    )
    describe_model = providers.Singleton(
        DescribeModel, registry=registry, embedder=embedder, chat_aliases=chat_aliases, embedding_alias=embedding_alias
    )
    embed_texts = providers.Singleton(EmbedTexts, embedder=embedder, embedding_alias=embedding_alias)
    session_store = providers.Selector(
        providers.Callable(lambda s: s.sessions.backend, settings),
        sqlite=providers.Resource(f._closing, session_stores.sqlite, settings),
        redis=providers.Singleton(session_stores.redis, settings, redis),
        memory=providers.Singleton(session_stores.memory, settings),
    )
    create_session = providers.Singleton(CreateSession, store=session_store, registry=registry)
    list_sessions = providers.Singleton(ListSessions, store=session_store)
    get_session = providers.Singleton(GetSession, store=session_store)
    delete_session = providers.Singleton(DeleteSession, store=session_store)
    ask_in_session = providers.Singleton(AskInSession, store=session_store, answer=answer_question)
    stream_in_session = providers.Singleton(StreamInSession, store=session_store, stream=stream_answer)


SELECTORS: dict[str, tuple[str, ...]] = {
    "secrets.backend": ("secrets",),
    "embedder.backend": ("embedder",),
    "index.backend": ("chunk_index", "registry"),
    "llm.backend": ("llm",),
    "auth.keys_backend": ("key_store",),
    "sessions.backend": ("session_store",),
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
    "check_readiness",
    "chat_completions",
    "list_models",
    "describe_model",
    "embed_texts",
    "create_session",
    "list_sessions",
    "get_session",
    "delete_session",
    "ask_in_session",
    "stream_in_session",
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
    container.key_store()
    container.session_store()
    container.rate_limiter()
    container.token_budget()


def stop(container: Container) -> None:
    container.shutdown_resources()  # type: ignore[no-untyped-call]


async def aclose(container: Container) -> None:
    """Close the asyncio clients (in the server's event loop, at shutdown)."""
    if container.settings().limits.storage == "redis":
        await container.quota_redis().aclose()
    llm_aclose = getattr(container.llm(), "aclose", None)  # the OpenAI adapter's connection pool
    if llm_aclose is not None:
        await llm_aclose()
