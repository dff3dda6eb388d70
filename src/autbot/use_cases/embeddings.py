from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from autbot.domain import limits
from autbot.domain.errors import InvalidInput, UnsupportedParameter
from autbot.domain.model import check_text
from autbot.domain.models import not_found
from autbot.domain.quotas import embedding_cost
from autbot.ports.embedder import Embedder
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
    """Embed texts with the configured embedder (OpenAI ``POST /v1/embeddings``).

    Rules:
    - ``model`` is the embedder's id or the configured alias (``openai_api.embedding_alias``); else 404.
    - 1 to ``limits.MAX_EMBED_INPUTS`` non-empty texts, each at most ``limits.MAX_EMBED_INPUT_CHARS`` characters,
      ``limits.MAX_EMBED_TOTAL_CHARS`` together.
    - ``dimensions`` may only be the embedder's own dimension (vectors are never truncated).
    - A valid request costs one unit of the ``embeddings`` rate limit per text (the embedder reads at most its window of
      each); an invalid one costs nothing.
    """

    def __init__(self, *, embedder: Embedder, embedding_alias: str) -> None:
        self._embedder = embedder
        self._alias = embedding_alias

    async def execute(self, request: EmbedRequest) -> Embeddings:
        await asyncio.to_thread(self._check, request)  # up to a million characters: off the event loop
        await request.admit(embedding_cost(len(request.texts)))
        vectors = await asyncio.to_thread(self._embedder.embed, list(request.texts))
        texts = request.texts
        return Embeddings(
            vectors=vectors, model=request.model, prompt_tokens=sum(max(1, math.ceil(len(t) / 4)) for t in texts)
        )

    def _check(self, request: EmbedRequest) -> None:
        e = self._embedder
        if request.model not in (e.model_id, self._alias):
            raise not_found(request.model)
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
