"""A store that carries a schema version and applies its own migration steps (``domain.schema_versions``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class VersionedStore(Protocol):
    @property
    def store(self) -> str:
        """The store's name in messages: ``registry``, ``keywords``, ``chroma``, ``keys``, ``sessions``..."""
        ...

    @property
    def steps(self) -> Sequence[str]:
        """One line per migration step, in order: step ``n`` takes version ``n`` to ``n + 1``."""
        ...

    def version(self) -> int:
        """The version the store records (0: none recorded)."""
        ...

    def apply(self, step: int) -> bool:
        """Take the store from version ``step`` to ``step + 1`` atomically. A store no longer at ``step`` (another
        process migrated it) is left alone: False. Raises ``DependencyUnavailable`` if the store cannot be reached."""
        ...
