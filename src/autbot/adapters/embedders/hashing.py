"""A deterministic hashing embedder: the fake. Real vectors, small scope.

Each word (and word bigram) is hashed into a signed bucket; the vector is L2-normalised. Texts that
share words are close, which is enough for unit and contract tests, with no model to load.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Sequence

from autbot.domain.model import HealthStatus

_WORD = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    def __init__(self, *, dimension: int = 256, model_id: str | None = None) -> None:
        self._dimension = dimension
        self._model_id = model_id or f"hashing-{dimension}"

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> list[float]:
        vec = [0.0] * self._dimension
        words = _WORD.findall(text.lower())
        features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
        for feature in features or [""]:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self._dimension
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def health(self) -> HealthStatus:
        return HealthStatus(ok=True, detail=self._model_id)
