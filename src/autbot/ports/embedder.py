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


@runtime_checkable
class EmbedderCatalogue(Protocol):
    """The embedding models this server serves, each named by its catalogue name or its model id.

    A model embeds passages and queries apart: some models put a different prefix before each.
    ``passages`` and ``queries`` raise ``ModelNotFound`` for a model not served here.
    """

    @property
    def default_model(self) -> str:
        """The catalogue name of the model new collections get when a request names none."""
        ...

    def served(self) -> tuple[str, ...]:
        """The catalogue names of the models served, the default first."""
        ...

    def passages(self, model: str) -> Embedder: ...

    def queries(self, model: str) -> Embedder: ...
