"""A rolling restart under load: two AutBot replicas (the scale-out shape: vectors and documents in Weaviate;
keys, limits and sessions in Redis) behind a real HAProxy running ``deploy/haproxy.cfg``, health checks on
``/ready``. While a few clients search, stream answers (``/query``, chat completions, sessions), ingest and
submit small ingestion jobs (on Redis, worked by one thread in each replica) through the balancer, each replica
in turn gets SIGTERM, exits, starts again and is marked up again. Every request gets its answer: no failure
and no cut stream; every accepted job ends ``succeeded`` and its document is found. The counts are printed and
written to ``rolling_restart.json`` in the test's directory.

The replicas use the production profile's ``server.shutdown_delay_s`` (the window in which the balancer takes a
draining replica out while it still listens); the order is checked: HAProxy marks the replica down while it
still answers a direct request, then it stops.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from autbot.entrypoints.settings import load_settings
from tests.support.haproxy import SERVERS, HAProxy
from tests.support.load import SteadyLoad, jobs_ended
from tests.support.processes import ROOT, AutbotServer
from tests.support.redis import RedisServer
from tests.support.weaviate import WeaviateNodes

pytestmark = [pytest.mark.slow, pytest.mark.weaviate, pytest.mark.redis]

WARM_S = 2.0  # load before the first restart, between restarts and after the last (outcomes are asserted)


def production_delay_s() -> float:
    """The production profile's ``server.shutdown_delay_s``: the replicas here drain as deployed ones do."""
    return load_settings("production", env={}).server.shutdown_delay_s


def replica_env(weaviate: WeaviateNodes, redis: RedisServer) -> dict[str, str]:
    return {
        **weaviate.env_overrides(),
        "AUTBOT_EMBEDDER__BACKEND": "hashing",
        "AUTBOT_LLM__BACKEND": "fake",
        "AUTBOT_LLM__MIN_VECTOR_SCORE": "0",
        "AUTBOT_LLM__FAKE_TOKEN_DELAY_S": "0.1",  # an answer streams for about a second: many are open at SIGTERM
        "AUTBOT_REDIS__URL": redis.url,
        "AUTBOT_AUTH__KEYS_BACKEND": "redis",
        "AUTBOT_AUTH__REQUIRED": "true",
        "AUTBOT_LIMITS__STORAGE": "redis",
        **{f"AUTBOT_LIMITS__{name}": "1000000/hour" for name in ("QUERY", "SEARCH", "INGEST")},
        "AUTBOT_SESSIONS__BACKEND": "redis",
        "AUTBOT_JOBS__BACKEND": "redis",  # one queue for both replicas: a job is seen and worked through either
        "AUTBOT_JOBS__REDIS_PREFIX": f"rolling{uuid.uuid4().hex[:8]}:",
        "AUTBOT_JOBS__WORKERS": "1",
        "AUTBOT_JOBS__REDIS_HEARTBEAT_TIMEOUT_S": "3",  # a batch a restart cut short goes to the other replica soon
        "AUTBOT_JOBS__MAX_QUEUED_JOBS_PER_KEY": "200",  # the load's bound, not the cap, limits its jobs
        "AUTBOT_SERVER__SHUTDOWN_DELAY_S": str(production_delay_s()),
    }


def create_key(env: dict[str, str], data_dir: Path) -> str:
    name = f"load-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-m", "autbot.entrypoints.cli", "keys", "create", name, "--scopes", "query,ingest"],
        env=AutbotServer(data_dir, env=env).env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def restart(replica: AutbotServer, name: str, lb: HAProxy, load: SteadyLoad) -> dict[str, int]:
    """SIGTERM, out of the balancer while still listening, exit, start, back in the balancer."""
    assert replica.proc is not None
    sigterm = time.monotonic()
    replica.proc.send_signal(signal.SIGTERM)
    lb.wait_down(name)
    # the balancer has let it go, and it still answers: it stops listening only after the delay
    still_serving = httpx.get(f"{replica.url}/health", timeout=5)
    code = replica.proc.wait(production_delay_s() + 60)
    replica.start()
    lb.wait_up(name)
    served = int(lb.servers()[name]["stot"])
    return {
        "exit_code": code,
        "in_flight_at_sigterm": load.tally.in_flight_at(sigterm),  # on both replicas
        "answered_after_down": still_serving.status_code,
        "served_before_up": served,
    }


def test_a_rolling_restart_under_load_fails_no_request(
    weaviate_node: WeaviateNodes, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = replica_env(weaviate_node, redis_server)
    key = create_key(env, tmp_path / "cli")
    replicas = [AutbotServer(tmp_path / name, env=env) for name in SERVERS]
    lb = HAProxy(tmp_path / "haproxy", [f"127.0.0.1:{r.port}" for r in replicas])
    collection = f"rolling-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with ThreadPoolExecutor(len(replicas)) as pool:  # both at once: each takes seconds to import
            for started in [pool.submit(r.start) for r in replicas]:
                started.result()
        lb.start()
        for name in SERVERS:
            lb.wait_up(name)
        seed = [{"id": f"seed-{i}", "text": f"River number {i} holds trout and its fish swim."} for i in range(20)]
        with httpx.Client(base_url=lb.url, headers=headers, timeout=60) as c:
            r = c.post(f"/v1/collections/{collection}/documents", json={"documents": seed})
            assert r.status_code == 201, r.text

        load = SteadyLoad(lb.url, collection, headers=headers, clients=4).start()
        restarts: dict[str, dict[str, int]] = {}
        try:
            time.sleep(WARM_S)
            for replica, name in zip(replicas, SERVERS, strict=True):
                restarts[name] = restart(replica, name, lb, load)
                time.sleep(WARM_S)
        finally:
            tally = load.stop()
        stats = lb.servers()
        frontend_5xx = lb.frontend()["hrsp_5xx"]

        with httpx.Client(base_url=lb.url, headers=headers, timeout=60) as c:
            jobs = jobs_ended(c, list(tally.jobs))
            total = c.get(f"/v1/collections/{collection}/documents", params={"limit": 1}).json()["total"]
            unfound = [m for m in tally.jobs.values() if not _found(c, collection, m)]
        report = {
            "requests": tally.requests,
            "answered": dict(tally.answered),
            "failed": len(tally.failures),
            "cut_streams": len(tally.cut_streams),
            "restarts": restarts,
            "balancer": {n: {k: stats[n][k] for k in ("stot", "wretr", "wredis", "chkdown")} for n in SERVERS},
            "balancer_5xx": frontend_5xx,
            "documents": {"acknowledged": len(tally.documents), "found": total - len(seed) - len(tally.jobs)},
            "jobs": {
                "accepted": len(tally.jobs),
                "succeeded": sum(j["state"] == "succeeded" for j in jobs),
                "documents_unfound": len(unfound),
            },
        }
        print(f"rolling restart: {json.dumps(report)}")
        (tmp_path / "rolling_restart.json").write_text(json.dumps(report, indent=2) + "\n")

        assert tally.failures == [], tally.failures[:10]
        assert tally.cut_streams == [], tally.cut_streams[:10]
        kinds = {"search", "query_stream", "chat_stream", "ingest", "session_stream", "submit_job"}
        assert set(tally.answered) >= kinds
        assert [(j["id"], j["state"]) for j in jobs if j["state"] != "succeeded"] == []
        assert all((j["counts"]["created"], j["counts"]["failed"]) == (1, 0) for j in jobs), jobs
        assert unfound == []
        assert frontend_5xx == "0"
        for name in SERVERS:
            assert restarts[name]["in_flight_at_sigterm"] != 0  # the restart met requests and streams under way
            assert restarts[name]["answered_after_down"] == 200  # out of the balancer before it stopped listening
            assert int(stats[name]["stot"]) > int(restarts[name]["served_before_up"])  # served again after it
        assert total == len(seed) + len(tally.documents) + len(tally.jobs)  # every acknowledged ingest is there
    finally:
        lb.stop()
        for replica in replicas:
            replica.stop()


def _found(c: httpx.Client, collection: str, marker: str) -> bool:
    body = {"query": marker, "mode": "keyword", "top_k": 3}
    hits = c.post(f"/v1/collections/{collection}/search", json=body).json()["results"]
    return any(marker in h["text"] for h in hits)
