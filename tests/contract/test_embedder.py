"""The Embedder contract: the hashing fake, the ONNX models (MiniLM, and bge-small and e5-small once pulled), and
the micro-batching wrapper."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import pytest

from autbot.adapters.embedders.hashing import HashingEmbedder
from autbot.adapters.embedders.model_files import max_batch
from autbot.adapters.embedders.onnx import OnnxEmbedder
from autbot.domain.embedding_models import known_model
from autbot.ports.embedder import Embedder
from tests.support.models import PULLED_MODELS, pulled


@pytest.fixture(scope="module")
def onnx_embedder() -> OnnxEmbedder:
    """The real model, loaded once per module and only by slow tests."""
    return OnnxEmbedder(threads=2, batch_size=8)


@pytest.fixture(scope="module")
def pulled_embedders() -> dict[str, OnnxEmbedder]:
    """The pulled models, each loaded once per module when a test first asks for it."""
    return {}


def pulled_embedder(name: str, loaded: dict[str, OnnxEmbedder]) -> OnnxEmbedder:
    if name not in loaded:
        onnx, tokenizer = pulled(name)
        loaded[name] = OnnxEmbedder(
            spec=known_model(name),
            model_path=str(onnx),
            tokenizer_path=str(tokenizer),
            threads=2,
            batch_size=max_batch(name) or 8,
        )
    return loaded[name]


@pytest.fixture(
    params=[
        "hashing",
        "batching",
        pytest.param("onnx", marks=pytest.mark.slow),
        *(pytest.param(name, marks=pytest.mark.slow) for name in PULLED_MODELS),
    ]
)
def embedder(request: pytest.FixtureRequest) -> Embedder:
    if request.param == "hashing":
        return HashingEmbedder(dimension=128)
    if request.param == "batching":
        from autbot.adapters.embedders.batching import MicroBatchingEmbedder

        return MicroBatchingEmbedder(HashingEmbedder(dimension=128), window_s=0.001)
    if request.param in PULLED_MODELS:
        return pulled_embedder(request.param, request.getfixturevalue("pulled_embedders"))
    onnx: Embedder = request.getfixturevalue("onnx_embedder")
    return onnx


def cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_protocol_and_identity(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.model_id
    assert embedder.dimension > 0
    assert embedder.health().ok


def test_shapes_and_unit_length(embedder: Embedder) -> None:
    texts = ["a short one", "a considerably longer sentence with many more words in it " * 5, "ünïcödé 文字"]
    vectors = embedder.embed(texts)
    assert len(vectors) == 3
    for v in vectors:
        assert len(v) == embedder.dimension
        assert math.sqrt(sum(x * x for x in v)) == pytest.approx(1.0, abs=1e-4)
    assert embedder.embed([]) == []


def test_deterministic_and_order_independent(embedder: Embedder) -> None:
    a = embedder.embed(["first text", "second text", "third"])
    b = embedder.embed(["third", "first text"])
    assert cos(a[2], b[0]) == pytest.approx(1.0, abs=1e-5)
    assert cos(a[0], b[1]) == pytest.approx(1.0, abs=1e-5)


def test_related_texts_are_closer(embedder: Embedder) -> None:
    q, near, far = embedder.embed(["the cat sat on the mat", "a cat sat on a mat", "quarterly earnings fell"])
    assert cos(q, near) > cos(q, far)


@pytest.mark.slow
def test_paraphrase_beats_unrelated_for_the_real_model(onnx_embedder: OnnxEmbedder) -> None:
    q, para, other = onnx_embedder.embed(
        [
            "How tall is the Eiffel Tower?",
            "The Eiffel tower measures 330 metres in height.",
            "Python was first released in 1991.",
        ]
    )
    assert cos(q, para) > 0.5 > cos(q, other)


@pytest.mark.slow
@pytest.mark.parametrize("name", PULLED_MODELS)
def test_each_pulled_model_ranks_the_answer_first_with_its_prefixes(
    name: str, pulled_embedders: dict[str, OnnxEmbedder]
) -> None:
    """The query with the model's query prefix, passages with its passage prefix, as the catalogue embeds them."""
    from autbot.adapters.embedders.catalogue import prefixed

    onnx, spec = pulled_embedder(name, pulled_embedders), known_model(name)
    [q] = prefixed(onnx, spec.query_prefix).embed(["How tall is the Eiffel Tower?"])
    answer, *others = prefixed(onnx, spec.passage_prefix).embed(
        [
            "The Eiffel tower measures 330 metres in height.",
            "Python was first released in 1991.",
            "Coffee was first cultivated in Yemen.",
        ]
    )
    assert all(cos(q, answer) > cos(q, o) + 0.05 for o in others)


@pytest.mark.slow
def test_the_pooling_of_a_models_spec_is_the_one_used(pulled_embedders: dict[str, OnnxEmbedder]) -> None:
    """bge-small is read from its first token: mean pooling of the same model gives other vectors."""
    from dataclasses import replace

    cls_pooled = pulled_embedder("bge-small-en-v1.5", pulled_embedders)
    onnx, tokenizer = pulled("bge-small-en-v1.5")
    spec = replace(known_model("bge-small-en-v1.5"), pooling="mean")
    mean_pooled = OnnxEmbedder(spec=spec, model_path=str(onnx), tokenizer_path=str(tokenizer), threads=2)
    text = ["rivers carry sediment to the sea"]
    assert cos(cls_pooled.embed(text)[0], mean_pooled.embed(text)[0]) < 0.99


def test_long_texts_are_truncated_not_rejected(embedder: Embedder) -> None:
    [v] = embedder.embed(["word " * 5000])
    assert len(v) == embedder.dimension


def test_micro_batching_shares_calls_and_keeps_each_callers_vector() -> None:
    """Concurrent single-text calls are answered from shared batches, each with its own text's vector."""
    from concurrent.futures import ThreadPoolExecutor

    from autbot.adapters.embedders.batching import MicroBatchingEmbedder

    class Counting(HashingEmbedder):
        calls: list[int] = []

        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            self.calls.append(len(texts))
            time.sleep(0.02)  # a model call takes a while: callers arriving meanwhile queue for the next batch
            return super().embed(texts)

    inner = Counting(dimension=64)
    batching = MicroBatchingEmbedder(inner, window_s=0.02)
    texts = [f"query number {i}" for i in range(32)]
    with ThreadPoolExecutor(16) as pool:
        vectors = list(pool.map(lambda t: batching.embed([t])[0], texts))
    assert vectors == HashingEmbedder(dimension=64).embed(texts)
    assert sum(inner.calls) == 32
    assert len(inner.calls) < 32
    assert batching.embed(["a", "b"]) == HashingEmbedder(dimension=64).embed(["a", "b"])  # batches go through


def test_micro_batching_hands_the_embedders_error_to_every_caller() -> None:
    from autbot.adapters.embedders.batching import MicroBatchingEmbedder
    from autbot.domain.errors import EmbedderUnavailable

    class Broken(HashingEmbedder):
        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            raise EmbedderUnavailable("model gone")

    batching = MicroBatchingEmbedder(Broken(dimension=8))
    with pytest.raises(EmbedderUnavailable):
        batching.embed(["x"])


def test_an_unknown_memory_arena_is_a_configuration_error() -> None:
    from autbot.domain.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="memory_arena"):
        OnnxEmbedder(memory_arena="grow")


@pytest.mark.slow
@pytest.mark.parametrize("arena", ["keep", "off"])
def test_every_memory_arena_gives_the_default_vectors(onnx_embedder: OnnxEmbedder, arena: str) -> None:
    texts = ["a short query", "a longer passage about rivers, deltas and the sediment they carry " * 8]
    other = OnnxEmbedder(threads=2, batch_size=8, memory_arena=arena)
    for a, b in zip(onnx_embedder.embed(texts), other.embed(texts), strict=True):
        assert cos(a, b) > 0.9999
