"""One Weaviate client per process: lazy (re)connection, error translation, idempotent writes, a rotated API
key picked up without a restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from loguru import logger

from autbot.domain import limits
from autbot.domain.errors import AutbotError, IndexTimeout, IndexUnavailable, IndexWriteFailed, UpstreamRejected
from autbot.domain.model import HealthStatus

T = TypeVar("T")
MAX_PAGE = 10_000
"""Weaviate's default query maximum: the most objects one fetch or delete touches."""


class WeaviateConnection:
    """The client, shared by the chunk index and the registry of one process.

    AutBot starts even when Weaviate is down: every call (re)connects first, and ``/ready`` reports.

    ``api_key`` is read again (through the secret store, which re-reads a changed file) at most every
    ``credentials_recheck_s`` seconds, and at once when Weaviate refuses a call's credentials. A key that
    changed replaces the client (Weaviate checks the key on every request, so the old client would fail from
    the moment the server stops accepting the old key), and a call refused for its credentials is run once
    more with the new one. No restart or signal is needed.
    """

    def __init__(
        self,
        *,
        http_host: str = "127.0.0.1",
        http_port: int = 8080,
        grpc_host: str = "127.0.0.1",
        grpc_port: int = 50051,
        secure: bool = False,
        api_key: Callable[[], str | None] | str | None = None,
        init_timeout_s: float = 10.0,
        query_timeout_s: float = 30.0,
        insert_timeout_s: float = 15.0,
        consistency_level: str = "QUORUM",
        write_retries: int = 2,
        credentials_recheck_s: float = limits.CREDENTIALS_RECHECK_S,
        new_client: Callable[[str | None], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from weaviate.classes.config import ConsistencyLevel

        self.endpoint = f"{'https' if secure else 'http'}://{http_host}:{http_port}"
        self._api_key = api_key if callable(api_key) else (lambda: api_key)
        self._new_client = new_client or _vendor_client(
            http_host, http_port, grpc_host, grpc_port, secure, (init_timeout_s, query_timeout_s, insert_timeout_s)
        )
        self._key_in_use = self._api_key()
        self.client = self._new_client(self._key_in_use)
        self._recheck_s = credentials_recheck_s
        self._clock = clock
        self._checked_at = clock()
        self._consistency = getattr(ConsistencyLevel, consistency_level)
        self._write_retries = max(0, write_retries)
        self._lock = threading.Lock()
        self._known: set[str] = set()
        try:
            self._connect()
        except IndexUnavailable:
            pass  # /ready reports it; every call retries the connection

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` against a connected client; vendor errors become ``IndexTimeout`` or ``IndexUnavailable``.
        Refused credentials: the API key is read again and, if it changed, ``fn`` runs once more with it."""
        self.rotate_key()
        try:
            return self._run(fn)
        except IndexUnavailable as e:
            if not (is_auth_failure(e.__cause__) and self.rotate_key(now=True)):
                raise
        return self._run(fn)

    def rotate_key(self, *, now: bool = False) -> bool:
        """Replace the client if the API key changed at its source (checked at most every
        ``credentials_recheck_s`` unless ``now``); True when it did."""
        at = self._clock()
        if not now and at - self._checked_at < self._recheck_s:
            return False
        self._checked_at = at
        key = self._api_key()
        if key == self._key_in_use:
            return False
        with self._lock:
            old, self.client, self._key_in_use = self.client, self._new_client(key), key
        logger.info("The Weaviate API key changed at its source: {} is now called with the new one", self.endpoint)
        _close(old)
        return True

    def _run(self, fn: Callable[[], T]) -> T:
        try:
            self._connect()
            return fn()
        except AutbotError:
            raise
        except Exception as e:
            raise translated(e, self.endpoint) from e

    def collection(self, name: str) -> Any:
        return self.client.collections.use(name).with_consistency_level(self._consistency)

    def create(self, name: str, create: Callable[[], Any]) -> None:
        """Create a Weaviate collection once; another replica creating it at the same time is fine."""
        from weaviate.exceptions import UnexpectedStatusCodeError

        if name in self._known:
            return
        if not self.client.collections.exists(name):
            try:
                create()
            except UnexpectedStatusCodeError as e:
                if "already exists" not in str(e):
                    raise
        self._known.add(name)

    def exists(self, name: str) -> bool:
        """Whether a Weaviate collection exists (cached once seen: the hot path reads no schema)."""
        if name in self._known:
            return True
        if self.client.collections.exists(name):
            self._known.add(name)
            return True
        return False

    def forget(self, name: str) -> None:
        self._known.discard(name)

    def insert_many(self, col: Any, objects: list[Any]) -> Any:
        """Batch writes are idempotent (deterministic uuids), so a write that timed out, as writes do while
        a cluster notices a dead node, is retried a bounded number of times."""
        for attempt in range(self._write_retries + 1):
            try:
                return col.data.insert_many(objects)
            except Exception as e:
                if attempt == self._write_retries or not is_transient(e):
                    raise
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def delete_all(self, name: str, where: Any) -> None:
        """Delete every object matching ``where`` (Weaviate deletes at most ``MAX_PAGE`` per call)."""
        for _ in range(1000):
            result = self.collection(name).data.delete_many(where=where)
            if result.failed:
                raise IndexWriteFailed(f"Weaviate failed to delete {result.failed} objects from {name}.", failed_ids=[])
            if result.matches < MAX_PAGE:
                return

    def health(self) -> HealthStatus:
        try:
            self.rotate_key()
            self._connect()
            ready = self.client.is_ready()
        except Exception as e:
            return HealthStatus(ok=False, detail=f"{self.endpoint}: {type(e).__name__}: {e}")
        return HealthStatus(ok=bool(ready), detail=f"weaviate at {self.endpoint} {'ready' if ready else 'not ready'}")

    def close(self) -> None:
        _close(self.client)

    def _connect(self) -> None:
        with self._lock:
            if self.client.is_connected():
                return
            try:
                self.client.connect()
            except Exception as e:
                raise IndexUnavailable(f"Cannot connect to Weaviate at {self.endpoint}: {e}") from e


REJECTED = frozenset({400, 413, 422})
"""Statuses with which Weaviate refuses a request itself: ``UpstreamRejected``, which no circuit breaker counts."""


def translated(error: Exception, endpoint: str) -> AutbotError:
    """A vendor error as the port's: a refused request (HTTP 400, 413, 422) is the request's fault, not an
    outage; a timeout is ``IndexTimeout``; anything else ``IndexUnavailable``."""
    from weaviate.exceptions import UnexpectedStatusCodeError

    if isinstance(error, UnexpectedStatusCodeError) and error.status_code in REJECTED:
        return UpstreamRejected(f"Weaviate refused the request as not valid (HTTP {error.status_code}).")
    if is_timeout(error):
        return IndexTimeout(f"Weaviate at {endpoint} timed out: {error}")
    return IndexUnavailable(f"Weaviate at {endpoint} failed: {type(error).__name__}: {error}")


def _vendor_client(
    http_host: str, http_port: int, grpc_host: str, grpc_port: int, secure: bool, timeouts: tuple[float, float, float]
) -> Callable[[str | None], Any]:
    def build(api_key: str | None) -> Any:
        import weaviate
        from weaviate.classes.init import AdditionalConfig, Auth, Timeout
        from weaviate.connect import ConnectionParams

        return weaviate.WeaviateClient(
            connection_params=ConnectionParams.from_params(
                http_host=http_host,
                http_port=http_port,
                http_secure=secure,
                grpc_host=grpc_host,
                grpc_port=grpc_port,
                grpc_secure=secure,
            ),
            auth_client_secret=Auth.api_key(api_key) if api_key else None,
            additional_config=AdditionalConfig(
                timeout=Timeout(init=timeouts[0], query=timeouts[1], insert=timeouts[2])
            ),
            skip_init_checks=True,
        )

    return build


def _close(client: Any) -> None:
    try:
        client.close()
    except Exception:  # closing is best effort
        return


def is_auth_failure(error: BaseException | None) -> bool:
    """Weaviate refused the credentials (HTTP 401/403, gRPC UNAUTHENTICATED)."""
    from weaviate.exceptions import AuthenticationFailedError

    if error is None:
        return False
    if isinstance(error, AuthenticationFailedError) or getattr(error, "status_code", None) in (401, 403):
        return True
    text = str(error).lower()
    return "unauthenticated" in text or "unauthorized" in text


def is_timeout(error: Exception) -> bool:
    from weaviate.exceptions import WeaviateTimeoutError

    return isinstance(error, (WeaviateTimeoutError, TimeoutError)) or "deadline" in str(error).lower()


def is_transient(error: Exception) -> bool:
    """A timeout or an unavailable peer: worth one more try for an idempotent write."""
    return is_timeout(error) or "unavailable" in str(error).lower()


def is_missing_class(error: Exception) -> bool:
    return "could not find class" in str(error)
