"""An OIDC issuer's signing keys: its discovery document and JWKS fetched over HTTP, bounded and cached.

Every fetch has a timeout and a size bound; a document that is too large, not JSON, or names another issuer
counts as a failed fetch. Keys are fetched again once ``cache_s`` old, and early when a token names a key id
they lack (rotation at the provider), at most once per ``min_refetch_s``. A failed refresh keeps the keys
already known (retried after ``min_refetch_s``); with no keys at all it raises ``IdentityProviderUnavailable``.
Blocking: callers run it off the event loop.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, KeySet
from loguru import logger

from autbot.domain.errors import IdentityProviderUnavailable

DISCOVERY_PATH = "/.well-known/openid-configuration"


def fetch_json(client: httpx.Client, url: str, *, max_bytes: int) -> dict[str, Any]:
    """One JSON object from ``url``, at most ``max_bytes`` long; ``IdentityProviderUnavailable`` otherwise."""
    try:
        with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise IdentityProviderUnavailable(f"The identity provider answered {response.status_code}.")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise IdentityProviderUnavailable("The identity provider's document is too large.")
    except httpx.HTTPError as e:
        raise IdentityProviderUnavailable(f"The identity provider failed: {type(e).__name__}") from e
    try:
        document = json.loads(body)
    except ValueError as e:
        raise IdentityProviderUnavailable("The identity provider's document is not JSON.") from e
    if not isinstance(document, dict):
        raise IdentityProviderUnavailable("The identity provider's document is not a JSON object.")
    return document


def signing_keys(jwks: dict[str, Any]) -> KeySet:
    """The signature keys of a JWKS (encryption keys and keys of unknown types are left out)."""
    keys = []
    for data in jwks.get("keys") or []:
        if not isinstance(data, dict) or data.get("use", "sig") != "sig":
            continue
        try:
            keys.append(JWKRegistry.import_key(data))
        except (JoseError, ValueError, TypeError) as e:
            logger.debug("OIDC key {} skipped: {}", data.get("kid"), type(e).__name__)
    return KeySet(keys)


class IssuerKeys:
    """The current signing keys of one issuer."""

    def __init__(
        self,
        issuer: str,
        *,
        client: httpx.Client,
        max_bytes: int,
        cache_s: float,
        min_refetch_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer
        self._client = client
        self._max_bytes = max_bytes
        self._cache_s = cache_s
        self._min_refetch_s = min_refetch_s
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._fetched_at = float("-inf")  # last try, successful or not
        self._jwks_uri: str | None = None

    def for_kid(self, kid: str | None) -> KeySet:
        """The keys to check a token naming ``kid`` with (fetched again first when due)."""
        with self._lock:
            if self._due(kid):
                self._refresh()
            if self._keys is None:
                raise IdentityProviderUnavailable("The identity provider's keys could not be fetched.")
            return self._keys

    def _due(self, kid: str | None) -> bool:
        age = self._clock() - self._fetched_at
        if age < self._min_refetch_s:  # tries, failed ones too, are rate-limited
            return False
        return self._keys is None or age >= self._cache_s or (kid is not None and kid not in self._kids)

    def _refresh(self) -> None:
        self._fetched_at = self._clock()
        try:
            keys = signing_keys(fetch_json(self._client, self._jwks(), max_bytes=self._max_bytes))
        except IdentityProviderUnavailable as e:
            self._jwks_uri = None  # discovered again next time
            if self._keys is None:
                raise
            logger.warning("OIDC keys of {} not refreshed ({}); the known keys stay in use", self._issuer, e.message)
            return
        self._keys = keys
        self._kids = frozenset(k.kid for k in keys if k.kid)

    def _jwks(self) -> str:
        if self._jwks_uri is None:
            url = self._issuer.rstrip("/") + DISCOVERY_PATH
            document = fetch_json(self._client, url, max_bytes=self._max_bytes)
            jwks_uri = document.get("jwks_uri")
            if document.get("issuer") != self._issuer or not isinstance(jwks_uri, str):
                raise IdentityProviderUnavailable("The discovery document names another issuer or no jwks_uri.")
            if not jwks_uri.startswith(("https://", "http://")):
                raise IdentityProviderUnavailable("The discovery document's jwks_uri is not an HTTP URL.")
            self._jwks_uri = jwks_uri
        return self._jwks_uri
