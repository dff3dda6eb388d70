from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from autbot.domain import limits
from autbot.domain.errors import InvalidInput, ModelNotFound, UnsupportedParameter
from autbot.domain.model import check_text
from autbot.domain.models import not_found
from autbot.domain.quotas import embedding_cost
from autbot.ports.embedder import Embedder, EmbedderCatalogue
from autbot.use_cases.admission import Admit, admit_all


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbedRequest:
    model: str
    texts: tuple[str, ...]
    dimensions: int | None = None
    admit: Admit = admit_all
    """Called with the request's cost (one unit per text) once it is valid, before anything is embedded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Embeddings:
    vectors: list[list[float]]
    """One unit-length vector per text, in order."""
    model: str
    prompt_tokens: int
    """An estimate (about 4 characters a token): the embedder does not report counts."""


class EmbedTexts:
    """Embed texts with one of the embedding models served (OpenAI ``POST /v1/embeddings``).

    Rules:
    - ``model`` is a served model's catalogue name or id, or the configured alias (``openai_api.embedding_alias``)
      for the default model; else ``model_not_found`` (404).
    - Texts are embedded as passages (with the model's passage prefix, if it has one), as ingestion does.
    - 1 to ``limits.MAX_EMBED_INPUTS`` non-empty texts, each at most ``limits.MAX_EMBED_INPUT_CHARS`` characters,
      ``limits.MAX_EMBED_TOTAL_CHARS`` together.
    - ``dimensions`` may only be the embedder's own dimension (vectors are never truncated).
    - A valid request costs one unit of the ``embeddings`` rate limit per text (the embedder reads at most its window of
      each); an invalid one costs nothing.
    """

    def __init__(self, *, embedders: EmbedderCatalogue, embedding_alias: str) -> None:
        self._embedders = embedders
        self._alias = embedding_alias

    async def execute(self, request: EmbedRequest) -> Embeddings:
        e = await asyncio.to_thread(self._check, request)  # up to a million characters: off the event loop
        await request.admit(embedding_cost(len(request.texts)))
        vectors = await asyncio.to_thread(e.embed, list(request.texts))
        texts = request.texts
        return Embeddings(
            vectors=vectors, model=request.model, prompt_tokens=sum(max(1, math.ceil(len(t) / 4)) for t in texts)
        )

    def _check(self, request: EmbedRequest) -> Embedder:
        """The request's model, once the request is known valid."""
        e = self._embedder(request.model)
        texts = request.texts
        if not 1 <= len(texts) <= limits.MAX_EMBED_INPUTS:
            raise InvalidInput(f"input must hold 1 to {limits.MAX_EMBED_INPUTS} texts.", field="input")
        for i, text in enumerate(texts):
            if not text.strip():
                raise InvalidInput(f"input[{i}] is empty.", field="input")
            check_text(text, field=f"input[{i}]")
            if len(text) > limits.MAX_EMBED_INPUT_CHARS:
                raise InvalidInput(
                    f"input[{i}] is longer than {limits.MAX_EMBED_INPUT_CHARS} characters.", field="input"
                )
        if sum(len(t) for t in texts) > limits.MAX_EMBED_TOTAL_CHARS:
            raise InvalidInput(f"input is longer than {limits.MAX_EMBED_TOTAL_CHARS} characters.", field="input")
        if request.dimensions is not None and request.dimensions != e.dimension:
            raise UnsupportedParameter(
                f"dimensions must be {e.dimension}, the dimension of '{e.model_id}' (vectors are not truncated).",
                field="dimensions",
            )
        return e

    def _embedder(self, model: str) -> Embedder:
        catalogue = self._embedders
        try:
            return catalogue.passages(catalogue.default_model if model == self._alias else model)
        except ModelNotFound:
            raise not_found(model) from None
