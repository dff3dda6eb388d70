"""llama-index-core's SentenceSplitter behind the TextSplitter port."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from autbot.domain.errors import ConfigurationError


def _offline_tiktoken() -> None:
    """llama-index counts tokens with tiktoken, which downloads its encodings unless pointed at the
    copies llama-index-core ships. Point it there (unless the operator chose another cache)."""
    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        cache = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))


class LlamaIndexTextSplitter:
    def __init__(self, *, chunk_size: int = 256, chunk_overlap: int = 32) -> None:
        if chunk_overlap >= chunk_size:
            raise ConfigurationError("splitter.chunk_overlap must be smaller than splitter.chunk_size.")
        _offline_tiktoken()
        from llama_index.core.node_parser import SentenceSplitter

        self._splitter: Any = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)

    def split(self, text: str) -> list[str]:
        return [c for c in self._splitter.split_text(text) if c.strip()]
