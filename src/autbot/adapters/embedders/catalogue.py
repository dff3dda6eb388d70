"""``StaticEmbedderCatalogue``: the embedding models a process serves, built once at start-up.

``PrefixedEmbedder`` puts a model's query or passage prefix before each text; the passage and query
embedders of one model share its loaded ONNX session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autbot.domain.embedding_models import unknown_embedding_model
from autbot.domain.errors import ConfigurationError
from autbot.domain.model import HealthStatus
from autbot.ports.embedder import Embedder


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedModel:
    name: str
    passages: Embedder
    queries: Embedder


class PrefixedEmbedder:
    def __init__(self, inner: Embedder, prefix: str) -> None:
        self._inner, self._prefix = inner, prefix

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self._inner.embed([self._prefix + t for t in texts])

    def health(self) -> HealthStatus:
        return self._inner.health()


def prefixed(inner: Embedder, prefix: str) -> Embedder:
    return PrefixedEmbedder(inner, prefix) if prefix else inner


class StaticEmbedderCatalogue:
    def __init__(self, models: Sequence[ServedModel], *, default: str) -> None:
        self._by_name: dict[str, ServedModel] = {}
        for m in models:
            self._by_name[m.name] = m
            self._by_name.setdefault(m.passages.model_id, m)
        if default not in self._by_name:
            raise ConfigurationError(f"The default embedding model '{default}' is not among those served.")
        self._default = self._by_name[default].name
        self._names = (self._default, *(m.name for m in models if m.name != self._default))

    @classmethod
    def single(cls, embedder: Embedder) -> StaticEmbedderCatalogue:
        """One model, named by its id, for passages and queries alike (the hashing embedder, test fakes)."""
        return cls(
            [ServedModel(name=embedder.model_id, passages=embedder, queries=embedder)], default=embedder.model_id
        )

    @property
    def default_model(self) -> str:
        return self._default

    def served(self) -> tuple[str, ...]:
        return self._names

    def passages(self, model: str) -> Embedder:
        return self._find(model).passages

    def queries(self, model: str) -> Embedder:
        return self._find(model).queries

    def _find(self, model: str) -> ServedModel:
        found = self._by_name.get(model)
        if found is None:
            raise unknown_embedding_model(model, self._names)
        return found
