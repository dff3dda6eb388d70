"""Embedders (``embedder.backend``): a catalogue of the models served, each loaded at start-up."""

from __future__ import annotations

from autbot.domain.embedding_models import MINILM, EmbeddingModelSpec, known_model
from autbot.domain.errors import ConfigurationError, ModelNotFound
from autbot.entrypoints.settings import Settings
from autbot.ports.embedder import Embedder, EmbedderCatalogue


def served_models(s: Settings) -> list[EmbeddingModelSpec]:
    """``embedder.default_model`` first, then ``embedder.models``; an unknown name stops the start."""
    names = dict.fromkeys([s.embedder.default_model, *s.embedder.models])
    try:
        specs = [known_model(n) for n in names]
    except ModelNotFound as e:
        raise ConfigurationError(f"embedder.models / embedder.default_model: {e.message}") from e
    return list({spec.name: spec for spec in specs}.values())


def onnx_catalogue(s: Settings) -> EmbedderCatalogue:
    """Each served model on a passage session (``embedder.threads``) and, unless ``embedder.query_threads`` is 0, a
    query session of its own with that many threads, micro-batched."""
    from autbot.adapters.embedders.batching import micro_batched
    from autbot.adapters.embedders.catalogue import ServedModel, StaticEmbedderCatalogue, prefixed

    models = []
    for spec in served_models(s):
        onnx, batch = _onnx_embedder(s, spec)
        window_ms = s.embedder.micro_batch_ms if batch > 1 else 0  # one text a call: nothing to share
        query_onnx = _onnx_embedder(s, spec, threads=s.embedder.query_threads)[0] if s.embedder.query_threads else onnx
        queries = micro_batched(prefixed(query_onnx, spec.query_prefix), window_ms=window_ms)
        models.append(ServedModel(name=spec.name, passages=prefixed(onnx, spec.passage_prefix), queries=queries))
    return StaticEmbedderCatalogue(models, default=models[0].name)


def worker_catalogue(s: Settings, threads: int) -> EmbedderCatalogue:
    """The catalogue of the job workers: the same models on ONNX sessions of their own, ``threads`` threads each
    (one: the work runs in the calling worker thread, at its lower priority), never micro-batched."""
    from autbot.adapters.embedders.catalogue import ServedModel, StaticEmbedderCatalogue, prefixed

    models = []
    for spec in served_models(s):
        onnx, _ = _onnx_embedder(s, spec, threads=threads)
        models.append(ServedModel(name=spec.name, passages=prefixed(onnx, spec.passage_prefix), queries=onnx))
    return StaticEmbedderCatalogue(models, default=models[0].name)


def _onnx_embedder(s: Settings, spec: EmbeddingModelSpec, *, threads: int | None = None) -> tuple[Embedder, int]:
    """The model, and the most texts it runs in one call."""
    from autbot.adapters.embedders.model_files import max_batch, require_files
    from autbot.adapters.embedders.onnx import OnnxEmbedder

    e = s.embedder
    if spec.name == MINILM.name:
        model, tokenizer = e.model_path, e.tokenizer_path
    else:
        model, tokenizer = (str(p) for p in require_files(e.models_dir, spec.name))
    batch = min(e.batch_size, max_batch(spec.name) or e.batch_size)
    onnx = OnnxEmbedder(
        spec=spec,
        model_path=model,
        tokenizer_path=tokenizer,
        threads=e.threads if threads is None else threads,
        batch_size=batch,
        memory_arena=e.memory_arena,
    )
    return onnx, batch


def hashing_catalogue(s: Settings) -> EmbedderCatalogue:
    from autbot.adapters.embedders.catalogue import StaticEmbedderCatalogue
    from autbot.adapters.embedders.hashing import HashingEmbedder

    return StaticEmbedderCatalogue.single(HashingEmbedder(dimension=s.embedder.hashing_dimension))


def default_embedder(catalogue: EmbedderCatalogue) -> Embedder:
    """The default model's passage embedder (the readiness check)."""
    return catalogue.passages(catalogue.default_model)
