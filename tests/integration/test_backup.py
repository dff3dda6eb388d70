"""``autbot backup`` while documents are being ingested, then ``autbot restore`` into a fresh data directory:
every document the backup holds is there exactly once, whole and searchable."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autbot.domain.auth import ANONYMOUS
from autbot.domain.model import SearchMode
from autbot.domain.retrieval import RetrievalOptions
from autbot.use_cases.search import SearchRequest
from tests.support import datadir

COLLECTION = "handbook"


def _cli(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTBOT_STORAGE__DATA_DIR": str(data), "AUTBOT_EMBEDDER__BACKEND": "hashing"}
    command = [sys.executable, "-m", "autbot.entrypoints.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def _text(n: int) -> str:
    return f"Entry {n} names the marker token uniq{n}x. " + datadir.text(COLLECTION, n)


class Ingesting(threading.Thread):
    """Ingests one document per call until stopped, counting what is done."""

    def __init__(self, ingester: object) -> None:
        super().__init__(daemon=True)
        self.ingester = ingester
        self.done = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                datadir.ingest(self.ingester, COLLECTION, [f"doc-{self.done}"], [_text(self.done)])
                self.done += 1
        except BaseException as e:
            self.error = e


def _search(searcher: object, query: str, mode: SearchMode) -> list[str]:
    request = SearchRequest(
        principal=ANONYMOUS, collection=COLLECTION, query=query, retrieval=RetrievalOptions(mode=mode, top_k=3)
    )
    return [h.chunk.document_id for h in searcher.execute(request)]  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_backup_taken_while_ingesting_restores_every_document_once_and_searchable(tmp_path: Path) -> None:
    live, copy, restored = tmp_path / "live", tmp_path / "backup", tmp_path / "restored"
    opened = datadir.stores(live)
    ingester, _ = datadir.use_cases(opened)
    writer = Ingesting(ingester)
    writer.start()
    try:
        while writer.done < 5 and writer.is_alive():
            writer.stop.wait(0.05)
        before = writer.done
        backed_up = _cli("backup", str(copy), data=live)
        after = writer.done
    finally:
        writer.stop.set()
        writer.join(timeout=120)
        datadir.close_all(opened)
    assert writer.error is None
    assert backed_up.returncode == 0, backed_up.stderr
    assert _cli("restore", str(copy), data=restored).returncode == 0

    opened = datadir.stores(restored)
    try:
        _, searcher = datadir.use_cases(opened)
        records, total = opened["registry"].list_documents(COLLECTION, offset=0, limit=10_000)
        ids = [r.id for r in records]
        assert len(ids) == len(set(ids)) == total
        assert before <= total <= after + 1  # every document finished before the backup began, none from after it
        assert set(ids) == {f"doc-{n}" for n in range(total)}
        for n in range(total):
            assert _search(searcher, f"uniq{n}x", SearchMode.KEYWORD)[:1] == [f"doc-{n}"]
            assert _search(searcher, _text(n), SearchMode.VECTOR)[:1] == [f"doc-{n}"]
    finally:
        datadir.close_all(opened)
    assert _cli("restore", str(copy), data=restored).returncode == 2  # never over a data directory in use
