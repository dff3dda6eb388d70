"""The TextSplitter contract, on the llama_index sentence splitter."""

from __future__ import annotations

import pytest

from autbot.adapters.splitters.llama_index import LlamaIndexTextSplitter
from autbot.ports.text_splitter import TextSplitter


@pytest.fixture(params=["llama_index"])
def splitter(request: pytest.FixtureRequest) -> TextSplitter:
    return LlamaIndexTextSplitter(chunk_size=64, chunk_overlap=8)


def test_splitter_contract(splitter: TextSplitter) -> None:
    assert isinstance(splitter, TextSplitter)
    assert splitter.split("One short sentence.") == ["One short sentence."]
    long = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    chunks = splitter.split(long)
    assert len(chunks) > 5
    assert all(c.strip() for c in chunks)
    assert chunks[0].startswith("Sentence number 0")
    assert chunks[-1].endswith("topic 3.")
