from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis import RedisServer
from tests.support.weaviate import WeaviateNodes

# Offline, always: no model hub, no tiktoken download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def weaviate_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeaviateNodes]:
    """One real Weaviate node for the whole session (built by scripts/weaviate.sh if needed)."""
    nodes = WeaviateNodes(tmp_path_factory.mktemp("weaviate")).start()
    yield nodes
    nodes.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real Redis for the whole session, on a free port with a private directory."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama.cpp's, same GGUF) on loopback; yields its /v1 base URL."""
    import subprocess
    import sys

    from tests.support.processes import ROOT, free_port, stop, wait_http

    port = free_port()
    log = tmp_path_factory.mktemp("openai") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.openai_server", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", timeout=120, proc=proc, log=log)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def local_llm() -> Iterator[object]:
    from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel

    llm = LlamaCppLanguageModel(threads=2, parallel=2)
    yield llm
    llm.close()
