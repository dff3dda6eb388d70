from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from autbot.domain.model import HealthStatus


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors of a fixed dimension.

    Raises ``EmbedderUnavailable`` when the model cannot run.
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. An empty input gives an empty list."""
        ...

    def health(self) -> HealthStatus: ...
