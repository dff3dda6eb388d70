from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class SecretStore(Protocol):
    """Looks secrets up by name. Values never reach logs or reprs."""

    def get(self, name: str) -> str | None: ...
