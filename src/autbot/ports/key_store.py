from __future__ import annotations

from typing import Protocol, runtime_checkable

from autbot.domain.auth import ApiKey
from autbot.domain.model import HealthStatus


@runtime_checkable
class KeyStore(Protocol):
    """Stored API keys: records with a salted hash, never a key in clear. Every method raises
    ``KeyStoreUnavailable`` when the store cannot answer."""

    def add(self, key: ApiKey) -> None:
        """Store a new key. ``Conflict`` if an active (unrevoked) key has the same name."""
        ...

    def get(self, key_id: str) -> ApiKey | None:
        """The record of this key id (revoked or not), or None."""
        ...

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        ...

    def revoke(self, name: str, *, now: float) -> bool:
        """Revoke the active key of this name; False if there is none."""
        ...

    def has_active_keys(self) -> bool:
        """Whether any unrevoked key exists (then every request needs one)."""
        ...

    def health(self) -> HealthStatus: ...
