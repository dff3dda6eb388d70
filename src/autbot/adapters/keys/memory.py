"""API keys in memory: the fake."""

from __future__ import annotations

import threading
from dataclasses import replace

from autbot.domain.auth import ApiKey
from autbot.domain.errors import Conflict
from autbot.domain.model import HealthStatus


class InMemoryKeyStore:
    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def add(self, key: ApiKey) -> None:
        with self._lock:
            if any(k.name == key.name and not k.revoked for k in self._keys.values()):
                raise Conflict(f"An active key named '{key.name}' exists; revoke it first.", name=key.name)
            self._keys[key.key_id] = key

    def get(self, key_id: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(key_id)

    def list(self) -> list[ApiKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: (k.created_at, k.name))

    def revoke(self, name: str, *, now: float) -> bool:
        with self._lock:
            for key_id, k in self._keys.items():
                if k.name == name and not k.revoked:
                    self._keys[key_id] = replace(k, revoked_at=now)
                    return True
            return False

    def has_active_keys(self) -> bool:
        with self._lock:
            return any(not k.revoked for k in self._keys.values())

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail="in-memory keys")
