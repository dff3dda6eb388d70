"""`/metrics` with several workers: every worker's counts are in one answer (prometheus multiprocess mode)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.processes import AutbotServer, running

pytestmark = pytest.mark.slow

FAKES = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_AUTH__KEYS_BACKEND": "memory",
    "AUTBOT_LIMITS__ENABLED": "false",
    "AUTBOT_SERVER__WORKERS": "2",
}


def health_count(text: str) -> float:
    for line in text.splitlines():
        if line.startswith("autbot_http_requests_total{") and 'route="/health"' in line and 'status="200"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_two_workers_report_one_total(tmp_path: Path) -> None:
    with running(AutbotServer(tmp_path / "data", env=FAKES)) as server:
        before = health_count(httpx.get(f"{server.url}/metrics", timeout=10).text)
        for _ in range(80):  # one connection each: the kernel spreads them over both workers
            assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
        totals = [health_count(httpx.get(f"{server.url}/metrics", timeout=10).text) for _ in range(6)]
    # whichever worker answers /metrics reports all 80, not only the requests it served itself
    assert {t - before for t in totals} == {80}
