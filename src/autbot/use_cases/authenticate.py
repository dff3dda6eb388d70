from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from autbot.domain.auth import ANONYMOUS, Principal, secret_matches, split_key
from autbot.domain.errors import Unauthorized
from autbot.ports.key_store import KeyStore

KEYS_EXIST_TTL_S = 2.0
"""How long "are there any keys?" is cached: a key created by the CLI is enforced within this delay."""


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
    """

    def __init__(self, *, keys: KeyStore, always_required: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self._keys = keys
        self._always_required = always_required
        self._clock = clock
        self._lock = threading.Lock()
        self._keys_exist: tuple[float, bool] | None = None

    @property
    def required(self) -> bool:
        return self._always_required or self._any_keys()

    def execute(self, request: AuthenticateRequest) -> Principal:
        if request.key is None:
            if self.required:
                raise Unauthorized()
            return ANONYMOUS
        parts = split_key(request.key)
        record = self._keys.get(parts[0]) if parts else None
        if parts is None or record is None or record.revoked or not secret_matches(record, parts[1]):
            raise Unauthorized()
        return Principal(name=record.name, scopes=record.scopes, collections=record.collections)

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
