"""A real ``autbot serve`` with two embedding models: a collection created with bge-small-en-v1.5 is searched
with bge-small (its query prefix included) while another collection keeps all-MiniLM-L6-v2."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from autbot.adapters.embedders.catalogue import prefixed
from autbot.adapters.embedders.model_files import max_batch
from autbot.adapters.embedders.onnx import OnnxEmbedder
from autbot.domain.embedding_models import MINILM, known_model
from tests.support.models import models_dir, pulled
from tests.support.processes import AutbotServer, running

pytestmark = pytest.mark.slow

BGE = "bge-small-en-v1.5"
DOCS = [
    {"id": "eiffel", "text": "The Eiffel tower measures 330 metres in height."},
    {"id": "python", "text": "Python was first released in 1991."},
    {"id": "coffee", "text": "Coffee was first cultivated in Yemen."},
]
QUESTION = "How tall is the Eiffel Tower?"


def cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def expected_score(name: str, question: str, passage: str) -> float:
    """What the search score must be when the model's query and passage embedders were used."""
    spec = known_model(name)
    files = pulled(name) if name != MINILM.name else (None, None)
    onnx = OnnxEmbedder(
        spec=spec,
        model_path=None if files[0] is None else str(files[0]),
        tokenizer_path=None if files[1] is None else str(files[1]),
        threads=1,
        batch_size=max_batch(name) or 8,
    )
    [q] = prefixed(onnx, spec.query_prefix).embed([question])
    [p] = prefixed(onnx, spec.passage_prefix).embed([passage])
    return cos(q, p)


def test_each_collection_is_served_by_its_own_model(data_dir: Path) -> None:
    pulled(BGE)
    env = {
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_EMBEDDER__MODELS": f'["{MINILM.name}", "{BGE}"]',
        "AUTBOT_EMBEDDER__MODELS_DIR": models_dir(),
    }
    with running(AutbotServer(data_dir, env=env)) as server, server.client() as c:
        created = c.post("/v1/collections/tuned/documents", json={"documents": DOCS, "embedder": BGE})
        assert created.status_code == 201, created.text
        assert c.post("/v1/collections/plain/documents", json={"documents": DOCS}).status_code == 201
        models = {x["name"]: x["embedding_model"] for x in c.get("/v1/collections").json()["collections"]}
        assert models == {"tuned": known_model(BGE).model_id, "plain": MINILM.model_id}
        scores = {}
        for collection, name in (("tuned", BGE), ("plain", MINILM.name)):
            hits = c.post(
                f"/v1/collections/{collection}/search", json={"query": QUESTION, "mode": "vector", "top_k": 3}
            ).json()["results"]
            assert hits[0]["document_id"] == "eiffel", (collection, hits)
            scores[collection] = hits[0]["score"]
            assert hits[0]["score"] == pytest.approx(expected_score(name, QUESTION, DOCS[0]["text"]), abs=2e-3)
        assert not math.isclose(scores["tuned"], scores["plain"], abs_tol=1e-2)  # two models, two scores
        r = c.post("/v1/embeddings", json={"model": BGE, "input": DOCS[0]["text"]})
        assert r.status_code == 200
        assert r.json()["model"] == BGE
        r = c.post("/v1/embeddings", json={"model": "e5-small-v2", "input": "x"})  # known, but not served here
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "model_not_found"


def test_a_server_told_to_serve_a_missing_model_does_not_start(data_dir: Path, tmp_path: Path) -> None:
    env = {
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_EMBEDDER__MODELS": f'["{BGE}"]',
        "AUTBOT_EMBEDDER__MODELS_DIR": str(tmp_path / "none"),
    }
    server = AutbotServer(data_dir, env=env)
    with pytest.raises(RuntimeError, match=f"autbot models pull {BGE}"):
        server.start(timeout=60)
