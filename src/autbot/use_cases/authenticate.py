from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autbot.domain.auth import ANONYMOUS, Principal, secret_matches, split_key
from autbot.domain.errors import Unauthorized
from autbot.domain.limits import OIDC_VERIFIED_TOKEN_TTL_S
from autbot.domain.oidc import IssuerPolicy, looks_like_jwt, principal_from_claims, seconds
from autbot.ports.key_store import KeyStore
from autbot.ports.token_verifier import TokenVerifier

KEYS_EXIST_TTL_S = 2.0
"""How long "are there any keys?" is cached: a key created by the CLI is enforced within this delay."""
VERIFIED_KEY_TTL_S = 2.0
"""How long a checked key is trusted without a store round trip: a revoked key is refused within this delay."""
VERIFIED_KEYS_MAX = 10_000
"""Checked keys remembered at once per process (the memory is dropped whole when full)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthenticateRequest:
    key: str | None
    """The presented key (``Authorization: Bearer`` or ``X-API-Key``), or None."""


class Authenticate:
    """Who is calling.

    Rules:
    - Keys are required when ``always_required`` (auth.required, or the server listens beyond loopback)
      or as soon as any active key exists; otherwise a request without a key acts as the anonymous
      principal, which may do everything (a local, loopback-only server).
    - A key is checked against its salted hash in constant time; an unknown, malformed or revoked key
      is refused exactly like a missing one (``Unauthorized``, one message whatever the reason).
    - On an open server a presented key changes nothing: no key exists that it could match, and clients
      such as the OpenAI SDK always send one (a placeholder).
    - A key that checked out is trusted for ``VERIFIED_KEY_TTL_S`` without asking the store again (the
      per-request cost of a keyed request is then a hash, not a store round trip); revocation takes
      effect within that delay, like key creation does through ``KEYS_EXIST_TTL_S``.
    - With ``tokens`` (OIDC issuers configured), credentials are always required, and a bearer token that is a
      JWT is checked by the verifier instead of the key store, then mapped to a principal by its issuer's
      policy (``domain.oidc``). A refused token is ``Unauthorized`` exactly like a wrong key. A verified token
      is trusted for ``OIDC_VERIFIED_TOKEN_TTL_S``, never past its ``exp``.
    """

    def __init__(
        self,
        *,
        keys: KeyStore,
        always_required: bool,
        clock: Callable[[], float] = time.monotonic,
        tokens: TokenVerifier | None = None,
        policies: Sequence[IssuerPolicy] = (),
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._always_required = always_required or tokens is not None
        self._clock = clock
        self._tokens = tokens
        self._policies = {p.issuer: p for p in policies}
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._keys_exist: tuple[float, bool] | None = None
        self._verified: dict[bytes, tuple[float, Principal]] = {}

    @property
    def required(self) -> bool:
        return self._always_required or self._any_keys()

    def execute(self, request: AuthenticateRequest) -> Principal:
        decided = self.without_store(request)
        if decided is not None:
            return decided
        assert request.key is not None
        if self._tokens is not None and looks_like_jwt(request.key):
            return self._from_token(request.key, self._tokens)
        parts = split_key(request.key)
        record = self._keys.get(parts[0]) if parts else None
        if parts is None or record is None or record.revoked or not secret_matches(record, parts[1]):
            raise Unauthorized()
        principal = Principal(
            name=record.name,
            scopes=record.scopes,
            collections=record.collections,
            key_id=record.key_id,
            groups=record.groups,
        )
        self._remember(request.key, VERIFIED_KEY_TTL_S, principal)
        return principal

    def _from_token(self, token: str, tokens: TokenVerifier) -> Principal:
        claims = tokens.verify(token)
        policy = self._policies.get(str(claims.get("iss")))
        if policy is None:
            raise Unauthorized()
        principal = principal_from_claims(claims, policy)
        expires = seconds(claims.get("exp"))
        left = 0.0 if expires is None else expires - self._wall_clock()
        self._remember(token, min(OIDC_VERIFIED_TOKEN_TTL_S, left), principal)
        return principal

    def _remember(self, key: str, ttl_s: float, principal: Principal) -> None:
        if ttl_s <= 0:
            return
        with self._lock:
            if len(self._verified) >= VERIFIED_KEYS_MAX:
                self._verified.clear()
            self._verified[_digest(key)] = (self._clock() + ttl_s, principal)

    def without_store(self, request: AuthenticateRequest) -> Principal | None:
        """The answer when it needs no key-store lookup (cheap enough for an event loop), else None.

        The "are there any keys?" answer is cached; when it has expired, this asks the store once."""
        if not self.required:
            return ANONYMOUS
        if request.key is None:
            raise Unauthorized()
        digest = _digest(request.key)
        with self._lock:
            hit = self._verified.get(digest)
        if hit is None:
            return None
        if hit[0] <= self._clock():
            with self._lock:
                self._verified.pop(digest, None)
            return None
        return hit[1]

    def _any_keys(self) -> bool:
        now = self._clock()
        with self._lock:
            cached = self._keys_exist
            if cached is not None and now - cached[0] < KEYS_EXIST_TTL_S:
                return cached[1]
        exist = self._keys.has_active_keys()
        with self._lock:
            self._keys_exist = (now, exist)
        return exist


def _digest(key: str) -> bytes:
    """What the verified-key memory is keyed by (never the key itself)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
