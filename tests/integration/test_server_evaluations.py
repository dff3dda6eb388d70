"""A real ``autbot serve`` (embedded store) evaluates a collection: ``autbot eval --server-side`` ingests a BEIR
dataset, stores it as the golden set and asks the server to run it; the figure is on ``/metrics``, and the golden
set and the evaluation survive a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT, AutbotServer

pytestmark = pytest.mark.slow

TINY = ROOT / "tests" / "support" / "beir_tiny"
AUTBOT = (sys.executable, "-m", "autbot.entrypoints.cli")
KEYWORD_JSON = ("--mode", "keyword", "--json")
LIGHT = {"AUTBOT_EMBEDDER__BACKEND": "hashing", "AUTBOT_LLM__BACKEND": "fake"}


def test_serve_ingest_golden_set_evaluate_metrics_restart(data_dir: Path) -> None:
    server = AutbotServer(data_dir, env=LIGHT).start()
    try:
        cli = subprocess.run(
            [*AUTBOT, "eval", str(TINY), "--url", server.url, "--collection", "tiny", "--server-side", *KEYWORD_JSON],
            env={k: v for k, v in os.environ.items() if k != "AUTBOT_API_KEY"},
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert cli.returncode == 0, cli.stderr
        evaluation = json.loads(cli.stdout)
        live = evaluation["generations"]["live"]
        assert live["queries"] == 5
        assert 0 < live["ndcg_at_10"] <= 1
        with server.client() as c:
            corpus = sum(1 for _ in (TINY / "corpus.jsonl").open()) - 1  # one line has neither title nor text
            assert c.get("/v1/collections/tiny/documents").json()["total"] == corpus
            metrics = c.get("/metrics").text
            ndcg = 'autbot_evaluation_score{collection="tiny",generation="live",metric="ndcg_at_10"} '
            assert ndcg + repr(live["ndcg_at_10"]) in metrics, [m for m in metrics.splitlines() if "evaluation" in m]
        server.stop()
        server.start()  # stored with the collection: both survive a restart
        with server.client() as c:
            assert len(c.get("/v1/collections/tiny/golden-set").json()["queries"]) == 5
            listed = c.get("/v1/collections/tiny/evaluations").json()["evaluations"]
            assert [e["id"] for e in listed] == [evaluation["id"]]
            again = c.post("/v1/collections/tiny/evaluations", json={"mode": "keyword"}).json()
            assert again["generations"]["live"]["ndcg_at_10"] == live["ndcg_at_10"]
    finally:
        server.stop()
