"""Three Weaviate nodes on loopback, replication factor 3, consistency QUORUM; two AutBot replicas.
SIGKILL one node (the Raft leader) during a query load: every query still answers and no acknowledged
write is lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import AutbotServer
from tests.support.weaviate import WeaviateNodes

pytestmark = [pytest.mark.slow, pytest.mark.weaviate, pytest.mark.cluster]


def test_replicas_share_a_replicated_cluster_and_survive_a_node_kill(tmp_path: Path) -> None:
    nodes = WeaviateNodes(tmp_path / "cluster", nodes=3).start()
    # the hardest node to lose is the Raft leader: kill that one, serve through the other two
    stats = httpx.get(f"http://127.0.0.1:{nodes.http_port(0)}/v1/cluster/statistics", timeout=10).json()
    leader = int(stats["statistics"][0]["leaderId"].removeprefix("node"))
    survivors = [i for i in range(3) if i != leader]
    common = {
        "AUTBOT_INDEX__WEAVIATE__REPLICATION_FACTOR": "3",
        "AUTBOT_INDEX__WEAVIATE__CONSISTENCY_LEVEL": "QUORUM",
        "AUTBOT_LLM__LOCAL__PRELOAD": "false",
        # a write that hangs while the cluster notices the dead node is retried after 5 s (idempotent)
        "AUTBOT_INDEX__WEAVIATE__INSERT_TIMEOUT_S": "5",
        "AUTBOT_INDEX__WEAVIATE__WRITE_RETRIES": "3",
        "AUTBOT_LIMITS__ENABLED": "false",  # a load test: per-caller request limits would refuse its searches
    }
    a = AutbotServer(tmp_path / "a", env={**nodes.env_overrides(survivors[0]), **common})
    b = AutbotServer(tmp_path / "b", env={**nodes.env_overrides(survivors[1]), **common})
    try:
        a.start()
        b.start()
        with a.client() as ca, b.client() as cb:
            docs = [
                {"id": f"seed-{i}", "text": f"Seed document {i} describes river number {i} and its fish."}
                for i in range(30)
            ]
            assert ca.post("/v1/collections/shared/documents", json={"documents": docs}).status_code == 201
            # two replicas, one truth: B serves what A wrote
            assert cb.get("/v1/collections/shared/documents").json()["total"] == 30
            q = {"query": "river number 7 and its fish", "top_k": 3}
            assert (
                ca.post("/v1/collections/shared/search", json=q).json()
                == cb.post("/v1/collections/shared/search", json=q).json()
            )

        statuses: list[int] = []
        latencies: list[tuple[float, float]] = []
        started = time.monotonic()
        acked: list[str] = []
        write_errors: list[str] = []
        stop = threading.Event()

        def load(url: str) -> None:
            with httpx.Client(base_url=url, timeout=30) as c:
                for i in range(2000):  # bounded: stops by itself
                    if stop.is_set():
                        return
                    t = time.monotonic()
                    r = c.post("/v1/collections/shared/search", json={"query": f"river {i % 30}", "top_k": 3})
                    statuses.append(r.status_code)
                    latencies.append((round(t - started, 1), round(time.monotonic() - t, 2)))

        def writer() -> None:
            with httpx.Client(base_url=a.url, timeout=30) as c:
                for i in range(200):
                    if stop.is_set():
                        return
                    try:
                        r = c.post(
                            "/v1/collections/shared/documents",
                            json={"documents": [{"id": f"late-{i}", "text": f"Late document {i} about lakes."}]},
                        )
                    except httpx.HTTPError as e:  # not acknowledged: allowed, but reported
                        write_errors.append(repr(e))
                        continue
                    if r.status_code == 201:
                        acked.append(f"late-{i}")
                    else:
                        write_errors.append(f"{r.status_code} {r.text[:200]}")
                    time.sleep(0.05)

        threads = [
            threading.Thread(target=load, args=(a.url,)),
            threading.Thread(target=load, args=(b.url,)),
            threading.Thread(target=writer),
        ]
        for t in threads:
            t.start()
        time.sleep(3)
        before_kill = len(statuses)
        nodes.kill(leader)
        time.sleep(8)
        stop.set()
        for t in threads:
            t.join(60)

        print(
            f"cluster: leader node{leader} killed; {len(statuses)} queries ({before_kill} before the kill), "
            f"max latency {max(x[1] for x in latencies):.2f}s; {len(acked)} writes acked, {len(write_errors)} not"
        )
        assert before_kill > 0
        slow = [x for x in latencies if x[1] > 1.0]
        assert len(statuses) > before_kill + 20, f"queries stalled after the kill: {slow}"
        assert set(statuses) == {200}, f"non-200 answers: {sorted(set(statuses))}"
        assert len(acked) > 10, write_errors
        with b.client() as cb:
            for doc_id in acked:
                r = cb.get(f"/v1/collections/shared/documents/{doc_id}")
                assert r.status_code == 200, f"acknowledged write {doc_id} lost"
            assert cb.get("/v1/collections/shared/documents").json()["total"] == 30 + len(acked)
    finally:
        a.stop()
        b.stop()
        nodes.stop()
