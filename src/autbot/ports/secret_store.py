from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class SecretStore(Protocol):
    """Looks secrets up by name. Values never reach logs or reprs.

    ``get`` returns the value as it is now: a secret rotated at its source (a file rewritten, a Kubernetes
    secret updated) is seen by the next ``get`` without a restart. ``refresh`` forgets anything cached (on
    SIGHUP), for sources whose changes a store cannot notice by itself.
    """

    def get(self, name: str) -> str | None: ...

    def refresh(self) -> None: ...
