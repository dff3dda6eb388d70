from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.redis import RedisServer
from tests.support.weaviate import WeaviateNodes

if TYPE_CHECKING:
    from tests.support.app_client import AppClient

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
def client() -> Iterator[AppClient]:
    """The app over fakes, started (``tests/support/app_client.py``); a module's own ``client`` overrides it."""
    from tests.support.app_client import app_client

    with app_client() as started:
        yield started


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama.cpp's, same GGUF) on loopback; yields its /v1 base URL."""
    from tests.support.openai_server import launch
    from tests.support.processes import stop

    proc, url = launch(tmp_path_factory.mktemp("openai") / "server.log")
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def local_llm() -> Iterator[object]:
    from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel

    llm = LlamaCppLanguageModel(threads=2, parallel=2)
    yield llm
    llm.close()
