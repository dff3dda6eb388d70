"""Sessions whose owner is a key's name are re-owned by the key's id: a session belongs to the key that
created it, and a key re-created with a revoked key's name is another key."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from autbot.domain.auth import key_owner
from autbot.domain.errors import DependencyUnavailable
from autbot.ports.key_store import KeyStore
from autbot.ports.session_store import SessionStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdoptNamedSessionsRequest:
    """Every key (no parameters)."""


class AdoptNamedSessions:
    """Give each key the sessions stored under its name while it was the active key of that name.

    Rules:
    - A session whose owner is a key's name (not ``key:<key id>``) was created by the key of that name that
      was active when the session was created, since a name has at most one active key at any time (created
      at or after the key, before its revocation). That key's id owns it from now on.
    - So a key re-created with a revoked key's name gets only the sessions created since it exists; the
      revoked key's stay with the revoked key's id, which no request can present any more.
    - Sessions of the anonymous principal (an open server) stay its own, unless a key named ``anonymous``
      was active when they were created (then that key made them).
    - Idempotent (run at every start): a session already owned by an id is never touched again. A store that
      cannot answer is logged and skipped: the next start tries again, and until then those sessions answer
      no one (never the wrong key).
    """

    def __init__(self, *, keys: KeyStore, store: SessionStore) -> None:
        self._keys = keys
        self._store = store

    def execute(self, request: AdoptNamedSessionsRequest) -> int:
        moved = 0
        try:
            for key in self._keys.list():
                moved += self._store.transfer(
                    key.name, key_owner(key.key_id), created_from=key.created_at, created_until=key.revoked_at
                )
        except DependencyUnavailable as e:
            log.warning("sessions stored under key names were not re-owned by key ids this time: %s", e.message)
        if moved:
            log.info("%d sessions stored under a key's name now belong to that key's id", moved)
        return moved
