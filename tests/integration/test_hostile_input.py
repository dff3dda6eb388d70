"""Hostile input against a real ``autbot serve`` on the embedded store (Chroma + SQLite), files parsed in
worker processes as in production: thousands of filters (once a segfault in Chroma's native code), deep
JSON, invalid UTF-8, PDF bombs, a huge offset. Each gets its 4xx, the process stays up, nothing is lost,
and PDF or HTML files that would take minutes to parse are stopped without stalling other requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.documents import FILES, pdf_text_bomb, upload
from tests.support.hostile import SEED, hostile_requests, snapshot
from tests.support.processes import AutbotServer

pytestmark = pytest.mark.slow

ENV = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",  # the store is what is under test, not the model
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_LIMITS__ENABLED": "false",
    "AUTBOT_INGEST__MAX_PARSE_SECONDS": "10",
}


def test_hostile_requests_get_4xx_and_the_server_keeps_its_data(data_dir: Path) -> None:
    server = AutbotServer(data_dir, env=ENV).start()
    try:
        assert server.proc is not None
        with server.client() as c:
            assert c.post("/v1/collections/kb/documents", json={"documents": SEED}).status_code == 201
            upload(c, "kb", ["moon.pdf", "eiffel.md"])  # a PDF parsed in a worker process
            before = snapshot(c, "kb")
            for case in hostile_requests("kb"):
                r = case.send(c)
                assert server.proc.poll() is None, f"the server died on: {case.name}"
                assert (r.status_code, r.json().get("code")) == (case.status, case.code), (case.name, r.text[:500])
                assert "Expression tree" not in r.text  # the store's own words stay in the log
                assert "Traceback" not in r.text

            # A small PDF and six small HTML files that each cost minutes of CPU: their workers are stopped after
            # ingest.max_parse_seconds or at ingest.max_parse_memory_bytes, whichever comes first (or, past
            # ingest.parse_workers, they wait for one and get 503), and
            # meanwhile the server answers everyone else: searches included.
            nested = b"<div>" * 400_000
            bombs = [("slow.pdf", pdf_text_bomb())] + [(f"deep{i}.html", nested) for i in range(6)]
            with ThreadPoolExecutor(len(bombs)) as pool, server.client() as other:
                sent = [pool.submit(other.post, "/v1/collections/kb/files", files=[("files", bomb)]) for bomb in bombs]
                assert c.get("/health").status_code == 200
                assert snapshot(c, "kb") == before
                assert not any(f.done() for f in sent), "other requests waited for the parsers"
                answers = [f.result() for f in sent]
            codes = {(r.status_code, r.json()["code"]) for r in answers}
            assert (422, "parse_budget_exceeded") in codes, codes
            assert codes <= {(422, "parse_budget_exceeded"), (413, "document_too_large"), (503, "server_busy")}, codes

            assert c.get("/health").json() == {"status": "ok"}
            assert snapshot(c, "kb") == before
            again = c.post("/v1/collections/kb/files", files=[("files", ("moon.pdf", FILES["moon.pdf"]))])
            assert again.json()["documents"][0]["status"] == "unchanged"  # PDFs still parse after a kill
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    assert "unhandled error" not in log
    assert "Segmentation fault" not in log
