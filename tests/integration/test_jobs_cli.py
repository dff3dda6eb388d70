"""``autbot ingest`` as a job and ``autbot jobs ...`` against a real ``autbot serve``; Ctrl-C leaves the job."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import ROOT, AutbotServer

pytestmark = pytest.mark.slow

ENV = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_AUTH__KEYS_BACKEND": "memory",
    "AUTBOT_LIMITS__ENABLED": "false",
}


def autbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autbot.entrypoints.cli", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True, exist_ok=True)
    for i in range(30):
        (docs / f"note{i}.txt").write_text(f"Note {i} says something about topic {i}.")
    (docs / "sub" / "empty.md").write_text("   ")
    (docs / "ignored.bin").write_bytes(b"\x00")
    return docs


def test_ingest_submits_a_job_and_reports_it(tmp_path: Path) -> None:
    server = AutbotServer(tmp_path / "data", env=ENV).start()
    try:
        out = autbot("ingest", str(corpus(tmp_path)), "-c", "kb", "--url", server.url)
        assert out.returncode == 1, out.stderr  # one file failed
        assert "31 files into 'kb': 30 created, 1 failed; 30 chunks" in out.stdout
        assert re.search(r"failed  empty\.md: empty_document", out.stderr)
        job_id = re.search(r"Submitted (job_\w+)", out.stderr).group(1)  # type: ignore[union-attr]
        listed = autbot("jobs", "list", "--url", server.url)
        assert re.search(rf"{job_id}\s+succeeded\s+kb\s+31/31 docs\s+1 failed", listed.stdout), listed.stdout
        shown = autbot("jobs", "show", job_id, "--url", server.url)
        assert "30 created" in shown.stdout
        assert "failed  empty.md" in shown.stdout
        again = autbot("ingest", str(corpus(tmp_path)), "-c", "kb", "--url", server.url)
        assert "30 unchanged, 1 failed" in again.stdout
    finally:
        server.stop()


def test_ctrl_c_stops_following_and_the_job_goes_on(tmp_path: Path) -> None:
    server = AutbotServer(tmp_path / "data", env={**ENV, "AUTBOT_JOBS__WORKERS": "0"}).start()  # jobs stay queued
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autbot.entrypoints.cli", "ingest", str(corpus(tmp_path)), "-c", "kb"],
            env={**os.environ, "AUTBOT_URL": server.url},
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert proc.stderr is not None
        line = proc.stderr.readline()
        while "Submitted" not in line:
            assert line, "autbot ingest ended before submitting"
            line = proc.stderr.readline()
        job_id = line.split()[-1]
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
        assert proc.returncode == 130
        assert f"autbot jobs follow {job_id}" in rest
        shown = autbot("jobs", "show", job_id, "--url", server.url)
        assert f"{job_id}  queued" in shown.stdout
        cancelled = autbot("jobs", "cancel", job_id, "--url", server.url)
        assert cancelled.stdout.strip() == f"{job_id} cancelled"
        assert autbot("jobs", "show", "job_AAAAAAAAAAAAAAAAAAAA", "--url", server.url).returncode != 0
    finally:
        server.stop()
