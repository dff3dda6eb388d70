"""Embedding models pulled with ``autbot models pull``, for the tests that run them.

A model that is not cached skips its tests on a workstation and fails them in CI (``CI`` set), where
``.ci/run`` pulls every model before the tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autbot.adapters.embedders.model_files import cached_files
from autbot.domain import limits

PULLED_MODELS = ("bge-small-en-v1.5", "e5-small-v2")


def models_dir() -> str:
    return os.environ.get("AUTBOT_EMBEDDER__MODELS_DIR", limits.EMBEDDING_MODELS_DIR)


def pulled(name: str) -> tuple[Path, Path]:
    """The ONNX file and tokenizer of a pulled model."""
    found = cached_files(models_dir(), name)
    if found is None:
        message = f"the embedding model {name} is not cached: run `uv run autbot models pull {name}`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found
