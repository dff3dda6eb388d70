"""Settings of the shared services that keep a deployment safe: secrets, Redis, API keys, rate limits.

Kept apart from :mod:`.schema` (which imports these sections and composes them into ``Settings``).
Defaults come from :mod:`autbot.domain.limits`.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from autbot.domain import limits
from autbot.domain.quotas import LIMIT_NAMES
from autbot.entrypoints.settings.oidc import OidcSettings
from autbot.entrypoints.settings.types import (
    AuditBackend,
    KeysBackend,
    LimitStrategy,
    NonEmpty,
    NonNegative,
    OnRedisFailure,
    QuotaStorage,
    Rate,
    SecretName,
    SecretsBackend,
    Section,
)


class SecretsSettings(Section):
    backend: SecretsBackend = "env"
    """``env`` (AUTBOT_SECRET_<NAME>) or ``file`` (one file per secret in ``directory``)."""
    directory: NonEmpty = "/run/secrets"
    """Directory of the ``file`` backend."""
    env_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\Z")] = "AUTBOT_SECRET_"
    """Prefix of the ``env`` backend's variables."""
    required: list[SecretName] = []
    """Secrets that must exist (non-empty) at start-up, else the server refuses to start (exit code 2),
    naming the secret. Added to the ones the configuration implies (the OpenAI key for api.openai.com)."""


class RedisSettings(Section):
    url: NonEmpty = "redis://127.0.0.1:6379/0"
    """The Redis server shared by replicas (API keys, rate limits, budgets, sessions); a ``password`` in the
    URL is better given as the secret named by ``password_secret``."""
    password_secret: NonEmpty = "redis_password"
    """Name of the secret holding the Redis password (none: the URL's, or no password)."""
    socket_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=5)] = 0.25
    """Per-command and connect timeout: Redis is on the request path, so it fails fast."""
    max_connections: Annotated[int, msgspec.Meta(ge=1, le=1024)] = 32
    """Connection pool size per process."""


class LimitsSettings(Section):
    enabled: bool = True
    """Apply the per-route request rates below (token budgets and the generation queue apply anyway)."""
    storage: QuotaStorage = "memory"
    """Where request counts and token budgets live: ``memory`` (this process) or ``redis`` (the ``[redis]``
    server: one exact count shared by every replica and worker)."""
    query: Rate = limits.RATE_QUERY
    """Answers (``POST …/query``, ``/v1/chat/completions``, ``/v1/sessions/{id}/messages``) per caller:
    ``N/second``, ``N/minute``, ``N/hour``, ``N/day`` or
    ``N per 5 minutes`` (the ``limits`` library's notation). A caller is an API key, else a client IP."""
    search: Rate = limits.RATE_SEARCH
    """Searches (``POST …/search``) per caller; an evaluation (``POST …/evaluations``) costs one per golden query."""
    ingest: Rate = limits.RATE_INGEST
    """Ingestion (``POST …/documents`` and ``POST …/files``) per caller, in units of 10,000 characters of
    document text, or of 10,000 bytes of uploaded files (``limits.INGEST_COST_CHARS``); a request costs at
    least one. A single request costing more than the whole window allows is refused with 413
    ``request_exceeds_rate_limit``."""
    embeddings: Rate = limits.RATE_EMBEDDINGS
    """Texts embedded by ``POST /v1/embeddings`` per caller: a request costs one unit per input."""
    sessions: Rate = limits.RATE_SESSIONS
    """Sessions created (``POST /v1/sessions``) per caller (the live ones a caller keeps are capped by
    ``sessions.max_per_key``)."""
    auth_failures: Rate = limits.RATE_AUTH_FAILURES
    """Requests with a wrong, revoked or expired API key per client IP. Past it, that address gets 429
    ``rate_limited`` (with ``Retry-After``), without a key-store lookup, for any key that has not authenticated
    in this process before (keys in use keep working)."""
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

    def rates(self) -> dict[str, str]:
        """Every limit the rate limiter counts, by name (``domain.quotas.LIMIT_NAMES``), with its rate."""
        return {name: getattr(self, name) for name in LIMIT_NAMES}


class AuthSettings(Section):
    required: bool = False
    """Require an API key on every request (except /health and /ready). Keys are required anyway when the
    server listens on a non-loopback address or as soon as any key exists."""
    keys_backend: KeysBackend = "sqlite"
    """Where API keys live: ``sqlite`` (``<storage.data_dir>/keys.sqlite3``), ``redis`` (shared by replicas)
    or ``memory`` (tests)."""
    refuse_start_without_keys: bool = False
    """Stop at start-up when no active key exists (the ``production`` profile sets it)."""
    oidc: OidcSettings = msgspec.field(default_factory=OidcSettings)
    """Single sign-on: bearer tokens of OIDC issuers accepted beside API keys (docs/sso.md)."""


class AuditSettings(Section):
    backend: AuditBackend = "sqlite"
    """Where audit records live: ``sqlite`` (``<storage.data_dir>/audit.sqlite3``), ``redis`` (one trail shared
    by replicas) or ``memory`` (tests). Append-only: only retention removes records."""
    retention_days: Annotated[int, msgspec.Meta(ge=1, le=36_500)] = limits.AUDIT_RETENTION_DAYS
    """Days a record is kept; older ones are pruned at start-up and, at most hourly, as records are appended."""
    log_lines: bool = False
    """Also write each record as a log line (logger ``autbot.audit``; JSON with ``logging.json``)."""
