"""Adapter factories: each returns its port, and a resource's adapter is closed when the container shuts down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from autbot.entrypoints.bootstrap.container import build_container
from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.bootstrap.injection import containers, providers
from autbot.entrypoints.bootstrap.lifecycle import start, stop
from autbot.entrypoints.settings import settings_from_dict
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_registry import DocumentRegistry
from autbot.ports.embedder import Embedder
from autbot.ports.key_store import KeyStore
from autbot.ports.language_model import LanguageModel
from autbot.ports.rate_limiter import RateLimiter
from autbot.ports.secret_store import SecretStore
from autbot.ports.session_store import SessionStore
from autbot.ports.token_budget import TokenBudget


class _Recorder:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def _recorder() -> Iterator[_Recorder]:
    yield from closing(_Recorder())


class _Holder(containers.DeclarativeContainer):
    thing = providers.Resource(_recorder)


def test_a_resource_built_with_closing_is_closed_once_at_shutdown() -> None:
    holder = _Holder()
    thing = holder.thing()
    assert holder.thing() is thing
    assert thing.closed == 0
    holder.shutdown_resources()
    assert thing.closed == 1


def test_the_lightweight_backends_each_give_their_port(tmp_path: Path) -> None:
    settings = settings_from_dict(
        {
            "storage": {"data_dir": str(tmp_path)},
            "index": {"backend": "memory"},
            "embedder": {"backend": "hashing"},
            "llm": {"backend": "fake"},
            "auth": {"keys_backend": "sqlite"},
            "sessions": {"backend": "sqlite"},
        }
    )
    container = build_container(settings)
    start(container)
    ports = {
        "secrets": SecretStore,
        "embedder": Embedder,
        "chunk_index": ChunkIndex,
        "registry": DocumentRegistry,
        "llm": LanguageModel,
        "key_store": KeyStore,
        "session_store": SessionStore,
        "rate_limiter": RateLimiter,
        "token_budget": TokenBudget,
    }
    for name, port in ports.items():
        assert isinstance(getattr(container, name)(), port), name
    stop(container)
