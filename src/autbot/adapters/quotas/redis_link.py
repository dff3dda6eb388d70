"""One asyncio Redis client per process for the quota adapters, and what they do when Redis fails.

Redis is on the request path, so every call fails fast: short socket and connect timeouts, no client
retries, a bounded pool that waits at most the socket timeout for a free connection, and an overall
deadline per call. After a failure the link is *down*: callers use their fallback without trying
Redis for ``recheck_s`` seconds; then one caller probes again. That is the shared circuit breaker
(``domain.resilience``) with a threshold of one failure and a cool-down of ``recheck_s``; its state
changes go to ``on_change`` (the ``autbot_circuit_breaker_state{dependency="redis"}`` gauge) and each
failure to ``on_error`` (``autbot_upstream_errors_total{dependency="redis"}``). An outage logs one
warning and its end one info line, however many requests pass meanwhile.

The password is read when a connection is made, not when the client is built (``SecretCredentials``, also
used by the synchronous client of the key and session stores): a password rotated at its source (the secret
file or variable) is what the next new connection presents, without a restart or a signal. Connections
already open stay authenticated, as Redis keeps them across a password change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from loguru import logger

from autbot.domain.resilience import BreakerState, CircuitBreaker
from autbot.domain.secrets import redact_url

T = TypeVar("T")


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis.exceptions
    from limits.errors import StorageError

    return (redis.exceptions.RedisError, StorageError, OSError, TimeoutError)


class RedisLink:
    """An ``redis.asyncio`` client with a circuit breaker. ``call`` runs one operation or raises
    ``RedisDown`` (at once while the link is down)."""

    def __init__(
        self,
        client: Any,
        *,
        url: str,
        timeout_s: float,
        recheck_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, BreakerState], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.url = url
        self.timeout_s = timeout_s
        self.recheck_s = recheck_s
        self.breaker = CircuitBreaker(
            "redis", failure_threshold=1, cooldown_s=recheck_s, clock=clock, on_change=on_change
        )
        self._clock = clock
        self._on_error = on_error
        self._down_since: float | None = None
        self._errors = _redis_errors()

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        password: Callable[[], str | None] | None,
        timeout_s: float,
        max_connections: int,
        recheck_s: float,
        on_change: Callable[[str, BreakerState], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> RedisLink:
        """A link to ``url``; nothing is connected until the first call. ``password`` is read for each new
        connection (see ``credential_options``)."""
        try:
            import redis.asyncio
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
        except ImportError as e:  # pragma: no cover - redis is a dependency
            raise ImportError("Redis storage needs the 'redis' package: uv add redis") from e

        options: dict[str, Any] = {
            "max_connections": max_connections,
            "timeout": timeout_s,  # wait for a free pooled connection
            "socket_timeout": timeout_s,
            "socket_connect_timeout": timeout_s,
            "retry": Retry(NoBackoff(), 0),
        }
        bare, credentials = credential_options(url, password)
        pool = redis.asyncio.BlockingConnectionPool.from_url(bare, **options, **credentials)
        client = redis.asyncio.Redis(connection_pool=pool)
        return cls(client, url=url, timeout_s=timeout_s, recheck_s=recheck_s, on_change=on_change, on_error=on_error)

    @property
    def down(self) -> bool:
        return self.breaker.state is not BreakerState.CLOSED

    async def call(self, operation: Callable[[], Awaitable[T]], *, what: str) -> T:
        """Run ``operation`` against Redis within a deadline; ``RedisDown`` if it fails or the link is down."""
        now = self._clock()
        if not self.breaker.allow():  # open: the fallback at once; half-open: one caller probes, not the others
            since = now - (self._down_since if self._down_since is not None else now)
            raise RedisDown(f"Redis is down since {since:.1f} s (not retried yet).")
        try:
            async with asyncio.timeout(self.timeout_s * 4):
                result = await operation()
        except self._errors as e:
            self._failed(what, e)
            raise RedisDown(f"Redis failed during {what}: {type(e).__name__}: {e}") from e
        except BaseException:
            if self.breaker.state is not BreakerState.CLOSED:
                self.breaker.failed()  # a probe cut short (cancelled): the next one after the cool-down
            raise
        self.breaker.succeeded()
        if self._down_since is not None:
            logger.info("Redis at {} answers again after {:.1f} s", redact_url(self.url), now - self._down_since)
            self._down_since = None
        return result

    def _failed(self, what: str, error: BaseException) -> None:
        now = self._clock()
        self.breaker.failed()
        if self._on_error is not None:
            self._on_error(type(error).__name__)
        if self._down_since is None:
            self._down_since = now
            logger.warning(
                "Redis at {} failed during {} ({}: {}); rate limits and token budgets use their configured "
                "fallback (limits.requests_on_redis_failure / limits.budget_on_redis_failure), and Redis is "
                "retried every {} s. This is logged once per outage.",
                redact_url(self.url),
                what,
                type(error).__name__,
                error,
                self.recheck_s,
            )

    async def aclose(self) -> None:
        await self.client.aclose()


class RedisDown(Exception):
    """Raised by :meth:`RedisLink.call`; each adapter turns it into its fallback or its port error."""


class SecretCredentials:
    """Redis credentials read each time a connection authenticates (redis-py's ``CredentialProvider``
    interface, sync and asyncio): ``password()`` (the secret store, which re-reads a changed file), else
    ``fallback`` (the URL's password)."""

    def __init__(self, password: Callable[[], str | None], *, username: str | None, fallback: str | None) -> None:
        self._password = password
        self._username = username
        self._fallback = fallback

    def get_credentials(self) -> tuple[str] | tuple[str, str]:
        secret = self._password() or self._fallback or ""
        return (self._username, secret) if self._username else (secret,)

    async def get_credentials_async(self) -> tuple[str] | tuple[str, str]:
        return self.get_credentials()


def credential_options(url: str, password: Callable[[], str | None] | None) -> tuple[str, dict[str, Any]]:
    """``url`` without its userinfo, and the client options that authenticate every new connection with the
    current ``password()`` (else the URL's password, username kept).

    Nothing changes when neither gives a password at start-up (a server without AUTH: nothing to rotate), or
    when the URL's query string sets the password (it would override any other source)."""
    parts = urlsplit(url)
    secret = password() if password is not None else None
    if not (secret or parts.password) or "password" in parse_qs(parts.query) or password is None:
        return url, {}
    host = parts.netloc.rpartition("@")[2]
    bare = urlunsplit(parts._replace(netloc=host))
    username = unquote(parts.username) if parts.username else None
    fallback = unquote(parts.password) if parts.password else None
    return bare, {"credential_provider": SecretCredentials(password, username=username, fallback=fallback)}
