"""``autbot serve`` on a real Weaviate server: ingest, search (vector, hybrid, keyword), query, delete,
restart; and a clean 503 when Weaviate is down."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.support.documents import FILES, upload
from tests.support.processes import AutbotServer, free_port
from tests.support.weaviate import WeaviateNodes

pytestmark = [pytest.mark.slow, pytest.mark.weaviate]


def test_serve_on_weaviate(weaviate_node: WeaviateNodes, data_dir: Path) -> None:
    name = f"kb-{uuid.uuid4().hex[:8]}"
    server = AutbotServer(data_dir, env=weaviate_node.env_overrides()).start()
    try:
        with server.client() as c:
            ready = c.get("/ready").json()
            assert ready["status"] == "ready"
            assert ready["checks"]["vector_index"] == {"ok": True}  # details are for admin keys only
            assert [d["status"] for d in upload(c, name, list(FILES))] == ["created"] * 5
            assert [d["status"] for d in upload(c, name, ["python.txt"])] == ["unchanged"]
            for mode in ("vector", "hybrid", "keyword"):
                r = c.post(f"/v1/collections/{name}/search", json={"query": "Eiffel tower height", "mode": mode})
                assert r.status_code == 200, r.text
                assert r.json()["results"][0]["document_id"] == "eiffel.md", mode
            r = c.post(
                f"/v1/collections/{name}/search",
                json={"query": "tower", "mode": "hybrid", "alpha": 1.0, "filters": {"media_type": "text/plain"}},
            )
            assert [h["document_id"] for h in r.json()["results"]] == ["python.txt"]
            body = c.post(
                f"/v1/collections/{name}/query", json={"question": "How tall is the Eiffel Tower?", "mode": "hybrid"}
            ).json()
            assert "330" in body["answer"]
            assert body["citations"][0]["document_id"] == "eiffel.md"
            assert c.delete(f"/v1/collections/{name}/documents/moon.pdf").status_code == 204
        server.stop()
        server.start()
        with server.client() as c:
            page = c.get(f"/v1/collections/{name}/documents").json()
            assert page["total"] == 4
            assert "moon.pdf" not in [d["id"] for d in page["documents"]]
            assert name in [x["name"] for x in c.get("/v1/collections").json()["collections"]]
            assert c.delete(f"/v1/collections/{name}").status_code == 204
    finally:
        server.stop()


def test_weaviate_down_is_a_503_not_a_crash(data_dir: Path) -> None:
    server = AutbotServer(
        data_dir,
        env={
            "AUTBOT_INDEX__BACKEND": "weaviate",
            "AUTBOT_INDEX__WEAVIATE__HTTP_PORT": str(free_port()),  # nothing listens there
            "AUTBOT_INDEX__WEAVIATE__GRPC_PORT": str(free_port()),
            "AUTBOT_INDEX__WEAVIATE__INIT_TIMEOUT_S": "2",
        },
    ).start()
    try:
        with server.client() as c:
            ready = c.get("/ready")
            assert ready.status_code == 503
            assert not ready.json()["checks"]["vector_index"]["ok"]
            r = c.post("/v1/collections/kb/search", json={"query": "x"})
            assert r.status_code == 503
            assert r.json()["code"] == "index_unavailable"
            assert r.headers["retry-after"] == "5"
    finally:
        server.stop()
