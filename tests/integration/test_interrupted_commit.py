"""A real process killed with SIGKILL between the registry's switch to a new version and the removal of the
replaced version's chunks, then a real ``autbot serve`` started on the same data directory (Chroma + SQLite):
the replaced text (a secret removed from the document) is never found or cited again, and the collection
counts exactly its registered chunks.

How the process is stopped at that point, honestly: ``tests/support/crash_writer.py`` runs the real ingest
use case over the real adapters, with the chunk index wrapped by test code so that ``delete`` (the step right
after the switch) signals and blocks; the test then sends SIGKILL. Nothing in production code knows."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import ROOT, AutbotServer

pytestmark = pytest.mark.slow

ENV = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",  # the commit is under test, not the model
    "AUTBOT_LLM__BACKEND": "fake",  # answers with the first sentence of its first source, citing it
    "AUTBOT_LLM__MIN_VECTOR_SCORE": "0",
    "AUTBOT_LIMITS__ENABLED": "false",
}
SECRET = "SWORDFISH"
OLD = f"The vault code is {SECRET} and nobody may know it. Otters guard the vault at night."
NEW = "The vault code was removed from this page. Otters guard the vault at night."


def crash_mid_commit(server: AutbotServer, text_file: Path, ready: Path) -> None:
    """Run the replacement in a process of its own and SIGKILL it inside the commit, after the switch."""
    with server.log.open("ab") as log:
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.support.crash_writer", "kb", "vault", str(text_file), str(ready)],
            env=server.env,
            cwd=str(ROOT),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert writer.poll() is None, f"the writer exited with {writer.returncode}: see {server.log}"
            assert time.monotonic() < deadline, "the writer never reached the removal of the replaced chunks"
            time.sleep(0.1)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
    assert writer.returncode == -signal.SIGKILL


def test_a_replaced_version_never_comes_back_after_a_kill_between_switch_and_removal(
    data_dir: Path, tmp_path: Path
) -> None:
    server = AutbotServer(data_dir, env=ENV).start()
    try:
        with server.client() as c:
            r = c.post("/v1/collections/kb/documents", json={"documents": [{"id": "vault", "text": OLD}]})
            assert r.status_code == 201, r.text
        server.stop()  # the embedded store admits one process: the writer is the next

        (tmp_path / "new.txt").write_text(NEW, encoding="utf-8")
        crash_mid_commit(server, tmp_path / "new.txt", tmp_path / "ready")

        server.start()
        with server.client() as c:
            doc = c.get("/v1/collections/kb/documents/vault").json()
            for mode in ("keyword", "hybrid", "vector"):
                for query in (SECRET, f"vault code {SECRET}"):
                    r = c.post("/v1/collections/kb/search", json={"query": query, "mode": mode})
                    assert r.status_code == 200, r.text
                    hits = r.json()["results"]
                    assert not any(SECRET in h["text"] for h in hits), (mode, query, hits)
                    versions = {h["chunk_id"].split("#")[1] for h in hits}  # id#version#position
                    assert versions <= {doc["version"][:16]}, (mode, query)
            # the old text alone holds the word: nothing is found, not the replaced text
            assert c.post("/v1/collections/kb/search", json={"query": SECRET, "mode": "keyword"}).json() == {
                "results": []
            }
            for mode in ("keyword", "hybrid"):
                r = c.post("/v1/collections/kb/query", json={"question": f"{SECRET}?", "mode": mode})
                assert r.status_code == 200, r.text
                assert SECRET not in r.text, (mode, r.json())
            [kb] = c.get("/v1/collections").json()["collections"]
            assert (kb["documents"], kb["chunks"]) == (1, doc["chunks"]), kb
    finally:
        server.stop()
    assert "Finished 1 document replacements" in server.log.read_text(errors="replace")
