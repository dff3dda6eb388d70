"""A real ``autbot serve`` process (embedded default: ONNX, Chroma, llama.cpp) driven over HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.documents import FILES, upload
from tests.support.processes import ROOT, AutbotServer, free_port

pytestmark = pytest.mark.slow


def autbot(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the ``autbot`` command as a user would, and capture what it prints."""
    return subprocess.run(
        [sys.executable, "-m", "autbot.entrypoints.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_ingest_search_delete_restart(data_dir: Path) -> None:
    server = AutbotServer(data_dir).start()
    try:
        with server.client() as c:
            ready = c.get("/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["vector_index"]["ok"]
            docs = upload(c, "kb", list(FILES))
            assert [d["status"] for d in docs] == ["created"] * 5
            assert [d["status"] for d in upload(c, "kb", ["python.txt"])] == ["unchanged"]
            # a paraphrased question finds the right document first
            for question, expected in [
                ("which iron landmark in France was finished in 1889?", "eiffel.md"),
                ("the first human on the lunar surface", "moon.pdf"),
                ("where did people begin growing the bean plant for that hot drink", "coffee.html"),
                ("who invented the language with significant whitespace", "python.txt"),
            ]:
                hits = c.post("/v1/collections/kb/search", json={"query": question, "top_k": 3}).json()["results"]
                assert hits[0]["document_id"] == expected, (question, hits)
            assert c.delete("/v1/collections/kb/documents/coffee.html").status_code == 204
            assert c.get("/v1/collections/kb/documents").json()["total"] == 4
        server.stop()  # graceful restart
        server.start()
        with server.client() as c:
            assert c.get("/v1/collections/kb/documents").json()["total"] == 4
            hits = c.post("/v1/collections/kb/search", json={"query": "Everest height", "top_k": 1}).json()["results"]
            assert hits[0]["document_id"] == "everest.json"
            upload(c, "kb", ["coffee.html"])
        server.stop(signal.SIGKILL)  # crash: what was acknowledged survives
        server.start()
        with server.client() as c:
            page = c.get("/v1/collections/kb/documents").json()
            assert page["total"] == 5
            hits = c.post("/v1/collections/kb/search", json={"query": "coffee origin Yemen"}).json()["results"]
            assert hits[0]["document_id"] == "coffee.html"
    finally:
        server.stop()


def test_cli_ingest_search_and_ask(data_dir: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "python.txt").write_bytes(FILES["python.txt"])
    (docs / "sub" / "eiffel.md").write_bytes(FILES["eiffel.md"])
    (docs / "ignored.bin").write_bytes(b"\x00\x01")
    server = AutbotServer(data_dir).start()
    try:
        out = autbot("ingest", str(docs), "-c", "cli", "--url", server.url)
        assert out.returncode == 0, out.stderr
        assert "2 files into 'cli': 2 created" in out.stdout
        out = autbot("search", "how tall is the tower", "-c", "cli", "--url", server.url)
        assert out.returncode == 0
        assert out.stdout.splitlines()[0].startswith("1. [")
        assert "eiffel" in out.stdout.splitlines()[0]
        out = autbot("ask", "How tall is the Eiffel Tower?", "-c", "cli", "--url", server.url, "--stream")
        assert out.returncode == 0, out.stderr
        assert "330" in out.stdout
        assert "Sources:" in out.stdout
        assert "[1] eiffel" in out.stdout
        out = autbot("search", "x", "-c", "missing", "--url", server.url)
        assert out.returncode == 1
        assert "collection_not_found" in out.stderr
    finally:
        server.stop()


def test_embedded_store_refuses_a_second_process_and_several_workers(data_dir: Path) -> None:
    server = AutbotServer(data_dir).start()
    try:
        second = autbot("serve", "--port", str(free_port()), env=server.env, cwd=data_dir.parent)
        assert second.returncode == 2
        assert "single-process" in second.stderr
    finally:
        server.stop()
    workers = autbot("serve", "--workers", "2", env=server.env, cwd=data_dir.parent)
    assert workers.returncode == 2
    assert "single-process" in workers.stderr
    bad = autbot("serve", env={**server.env, "AUTBOT_LLM__BACKEND": "gpt9"}, cwd=data_dir.parent)
    assert bad.returncode == 2
    assert "llm.backend" in bad.stderr
    assert "fake, local, openai" in bad.stderr
