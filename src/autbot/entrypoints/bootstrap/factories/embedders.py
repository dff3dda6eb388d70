"""Embedders (``embedder.backend``)."""

from __future__ import annotations

from autbot.entrypoints.settings import Settings
from autbot.ports.embedder import Embedder


def onnx_embedder(s: Settings) -> Embedder:
    from autbot.adapters.embedders.batching import micro_batched
    from autbot.adapters.embedders.onnx import OnnxEmbedder

    e = s.embedder
    onnx = OnnxEmbedder(
        model_path=e.model_path,
        tokenizer_path=e.tokenizer_path,
        threads=e.threads,
        batch_size=e.batch_size,
        memory_arena=e.memory_arena,
    )
    return micro_batched(onnx, window_ms=e.micro_batch_ms)


def hashing_embedder(s: Settings) -> Embedder:
    from autbot.adapters.embedders.hashing import HashingEmbedder

    return HashingEmbedder(dimension=s.embedder.hashing_dimension)
