from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.weaviate import WeaviateNodes

# Offline, always: no model hub, no tiktoken download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def weaviate_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeaviateNodes]:
    """One real Weaviate node for the whole session (built by scripts/weaviate.sh if needed)."""
    nodes = WeaviateNodes(tmp_path_factory.mktemp("weaviate"), port_base=int(os.environ.get("AUTBOT_TEST_WEAVIATE_PORT", "18080")))
    nodes.start()
    yield nodes
    nodes.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d
