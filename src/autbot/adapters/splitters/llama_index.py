"""llama-index-core's SentenceSplitter behind the TextSplitter port.

Importing llama-index-core takes seconds (its package imports its whole framework), so it is imported on
the first split, not at start-up: a server that only searches never pays for it. (Not in a background thread:
a half-imported numpy seen by other code through ``sys.modules`` breaks it.)
"""

from __future__ import annotations

import importlib.util
import os
import threading
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
        self._size, self._overlap = chunk_size, chunk_overlap
        self._splitter: Any = None
        self._lock = threading.Lock()

    def split(self, text: str) -> list[str]:
        return [c for c in self._sentence_splitter().split_text(text) if c.strip()]

    def _sentence_splitter(self) -> Any:
        with self._lock:
            if self._splitter is None:
                _offline_tiktoken()
                try:
                    from llama_index.core.node_parser import SentenceSplitter
                except ImportError as e:  # pragma: no cover - dependency hint
                    raise ConfigurationError("The splitter needs llama-index-core: `uv sync`.") from e
                self._splitter = SentenceSplitter(chunk_size=self._size, chunk_overlap=self._overlap)
            return self._splitter
