"""A real ``autbot serve`` re-indexes a live collection of 2,000 generated documents from all-MiniLM-L6-v2 to
bge-small-en-v1.5 under a steady load of searches and answers, with writes landing during the build: no request
fails, the same documents are there before and after, hits are scored by the new model after the switch (and by
the old one again after a rollback)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from autbot.domain.embedding_models import MINILM, known_model
from tests.integration.test_embedding_models_server import expected_score
from tests.support.models import models_dir, pulled
from tests.support.processes import AutbotServer, running
from tests.support.weaviate import WeaviateNodes

pytestmark = pytest.mark.slow

BGE = "bge-small-en-v1.5"
DOCUMENTS = 2000
TOPICS = [
    ("volcanoes", "lava magma eruption crater ash basalt vent caldera"),
    ("glaciers", "ice moraine crevasse meltwater snowpack fjord calving"),
    ("coral reefs", "polyp lagoon bleaching atoll algae snorkel"),
    ("bread baking", "yeast dough oven crust flour knead proof"),
    ("chess openings", "gambit pawn bishop castle sicilian defence tempo"),
    ("beekeeping", "hive honey queen drone pollen comb swarm"),
    ("jazz history", "saxophone swing bebop improvisation trumpet club"),
    ("solar panels", "photovoltaic inverter silicon rooftop watt grid"),
    ("marathon training", "mileage pace taper hydration stride endurance"),
    ("medieval castles", "moat keep rampart siege drawbridge knight"),
    ("tea ceremonies", "matcha whisk kettle tatami bowl ritual"),
    ("rail freight", "locomotive wagon cargo junction timetable siding"),
    ("orchid care", "epiphyte bloom humidity bark repot spike"),
    ("cave diving", "sump guideline tank silt passage torch"),
    ("vaccine research", "antigen trial immunity dose antibody placebo"),
    ("wind turbines", "blade rotor nacelle gearbox offshore tower"),
    ("cheese making", "curd rennet whey brine aging rind"),
    ("desert ecology", "dune cactus scorpion oasis drought sand"),
    ("violin making", "spruce maple varnish scroll bridge luthier"),
    ("satellite orbits", "apogee perigee inclination geostationary thrust"),
]
FILLER = ["the", "a", "this", "report", "notes", "that", "often", "many", "people", "say", "about", "in", "with", "of"]


def documents() -> list[dict[str, str]]:
    rng = random.Random(7)
    out = []
    for i in range(DOCUMENTS):
        name, vocab = TOPICS[i % len(TOPICS)]
        words = vocab.split()
        body = " ".join(rng.choice(words if rng.random() < 0.5 else FILLER) for _ in range(34))
        out.append({"id": f"d{i:04d}", "text": f"Notes on {name}, number {i}: {body}."})
    return out


def golden() -> dict[str, Any]:
    queries = [
        {"id": f"q{t}", "text": f"{name}: {' '.join(vocab.split()[:3])}"} for t, (name, vocab) in enumerate(TOPICS)
    ]
    qrels = {f"q{t}": {f"d{i:04d}": 1 for i in range(t, DOCUMENTS, len(TOPICS))} for t in range(len(TOPICS))}
    return {"queries": queries, "qrels": qrels}


class Load:
    """One thread of searches and answers, one at a time with a short pause: every status is counted, and a
    request that got no answer (the connection reset or timed out) counts as status 0."""

    def __init__(self, url: str) -> None:
        self._client = httpx.Client(base_url=url, timeout=120)
        self._stop = threading.Event()
        self.statuses: list[int] = []
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(180)
        self._client.close()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            name, vocab = TOPICS[n % len(TOPICS)]
            try:
                if n % 2:
                    r = self._client.post("/v1/collections/kb/search", json={"query": f"{name} {vocab}", "top_k": 5})
                else:
                    r = self._client.post("/v1/collections/kb/query", json={"question": f"What about {name}?"})
                self.statuses.append(r.status_code)
            except httpx.TransportError as e:
                self.statuses.append(0)
                self.errors.append(repr(e))
            n += 1
            self._stop.wait(0.2)

    @property
    def failed(self) -> list[int]:
        return [s for s in self.statuses if s != 200]


def ids(c: httpx.Client, collection: str = "kb") -> set[str]:
    found: set[str] = set()
    while True:
        page = c.get(f"/v1/collections/{collection}/documents", params={"offset": len(found), "limit": 500}).json()
        found |= {d["id"] for d in page["documents"]}
        if len(found) >= page["total"] or not page["documents"]:
            return found


def top_hit(c: httpx.Client, query: str, collection: str = "kb") -> dict[str, Any]:
    hits = c.post(f"/v1/collections/{collection}/search", json={"query": query, "mode": "vector", "top_k": 1}).json()[
        "results"
    ]
    return dict(hits[0])


def wait_job(c: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        job: dict[str, Any] = c.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.5)
    raise AssertionError("the re-index did not end")


def test_a_live_collection_moves_to_bge_small_under_load_and_rolls_back(data_dir: Path) -> None:
    pulled(BGE)
    env = {
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_EMBEDDER__MODELS": f'["{MINILM.name}", "{BGE}"]',
        "AUTBOT_EMBEDDER__MODELS_DIR": models_dir(),
        "AUTBOT_LIMITS__ENABLED": "false",  # the steady load is this test's own, past the per-key request rates
    }
    docs = documents()
    with running(AutbotServer(data_dir, env=env)) as server, server.client() as c:
        for start in range(0, len(docs), 500):
            r = c.post("/v1/collections/kb/documents", json={"documents": docs[start : start + 500]})
            assert r.status_code == 201, r.text
        assert c.put("/v1/collections/kb/golden-set", json=golden()).status_code < 300
        probe = docs[30]["text"]
        hit = top_hit(c, probe)
        assert hit["score"] == pytest.approx(expected_score(MINILM.name, probe, hit["text"]), abs=2e-3)
        with Load(server.url) as load:
            r = c.post("/v1/collections/kb/reindex", json={"embedder": BGE, "max_drop": 1.0})
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            # writes while the new generation is built: new documents, replacements, deletions
            new = [
                {"id": f"w{i}", "text": f"Freshly written note {i} about zeppelin airships and hangars."}
                for i in range(10)
            ]
            assert c.post("/v1/collections/kb/documents", json={"documents": new}).status_code == 201
            replaced = [
                {"id": f"d{i:04d}", "text": f"Replaced note {i} about quasar telescopes."} for i in range(5, 10)
            ]
            assert c.post("/v1/collections/kb/documents", json={"documents": replaced}).status_code == 201
            for i in range(5):
                assert c.delete(f"/v1/collections/kb/documents/d{i:04d}").status_code == 204
            assert c.get(f"/v1/jobs/{job_id}").json()["state"] in ("queued", "running")  # the writes raced the build
            expected = ids(c)
            job = wait_job(c, job_id)
            assert job["state"] == "succeeded", job
            assert job["outcome"].startswith("activated"), job
            kb = c.get("/v1/collections/kb").json()
            assert kb["embedding_model"] == known_model(BGE).model_id
            after_switch = ids(c)
            hit = top_hit(c, probe)
            assert hit["score"] == pytest.approx(expected_score(BGE, probe, hit["text"]), abs=2e-3)
            assert top_hit(c, "zeppelin airships hangars")["document_id"].startswith("w")
            assert top_hit(c, "quasar telescopes")["document_id"] in {f"d{i:04d}" for i in range(5, 10)}
            r = c.post("/v1/collections/kb/query", json={"question": probe, "mode": "vector"})
            assert r.status_code == 200, r.text
            answer = r.json()
            assert answer["citations"][0]["score"] == pytest.approx(
                expected_score(BGE, probe, answer["citations"][0]["text"]), abs=2e-3
            )
            assert c.post("/v1/collections/kb/rollback").status_code == 200
            assert c.get("/v1/collections/kb").json()["embedding_model"] == MINILM.model_id
            hit = top_hit(c, probe)
            assert hit["score"] == pytest.approx(expected_score(MINILM.name, probe, hit["text"]), abs=2e-3)
            assert top_hit(c, "zeppelin airships hangars")["document_id"].startswith("w")
            after_rollback = ids(c)
        assert load.statuses
        assert not load.failed, (load.failed[:10], load.errors[:3], server.log.read_text()[-4000:])
        assert expected == after_switch == after_rollback
        assert len(expected) == DOCUMENTS - 5 + 10
        figures = {g["number"]: g["evaluation"] for g in kb["generations"]}
        build_s = job["finished_at"] - job["started_at"]
        print(  # the closing note's figures (pytest -s)
            f"\nreindex: {len(expected)} documents, build+gate {build_s:.1f} s, requests {len(load.statuses)} "
            f"failed {len(load.failed)}, NDCG@10 g0 {figures[0]['ndcg_at_10']:.4f} g1 {figures[1]['ndcg_at_10']:.4f}"
        )


@pytest.mark.weaviate
def test_the_same_switch_and_rollback_on_weaviate(weaviate_node: WeaviateNodes, data_dir: Path) -> None:
    pulled(BGE)
    name = f"kb-{uuid.uuid4().hex[:8]}"
    env = {
        **weaviate_node.env_overrides(),
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_EMBEDDER__MODELS": f'["{MINILM.name}", "{BGE}"]',
        "AUTBOT_EMBEDDER__MODELS_DIR": models_dir(),
    }
    docs = documents()[:60]
    with running(AutbotServer(data_dir, env=env)) as server, server.client() as c:
        assert c.post(f"/v1/collections/{name}/documents", json={"documents": docs}).status_code == 201
        assert c.put(f"/v1/collections/{name}/golden-set", json=golden()).status_code < 300
        before = ids(c, name)
        r = c.post(f"/v1/collections/{name}/reindex", json={"embedder": BGE, "max_drop": 1.0})
        assert r.status_code == 202, r.text
        job = wait_job(c, r.json()["id"])
        assert str(job["outcome"]).startswith("activated"), job
        kb = c.get(f"/v1/collections/{name}").json()
        assert (kb["embedding_model"], kb["generation"]) == (known_model(BGE).model_id, 1)
        assert ids(c, name) == before
        probe = docs[30]["text"]
        hit = top_hit(c, probe, name)
        assert hit["score"] == pytest.approx(expected_score(BGE, probe, hit["text"]), abs=2e-3)
        assert c.post(f"/v1/collections/{name}/rollback").status_code == 200
        assert c.get(f"/v1/collections/{name}").json()["embedding_model"] == MINILM.model_id
        hit = top_hit(c, probe, name)
        assert hit["score"] == pytest.approx(expected_score(MINILM.name, probe, hit["text"]), abs=2e-3)
        assert c.delete(f"/v1/collections/{name}").status_code == 204
