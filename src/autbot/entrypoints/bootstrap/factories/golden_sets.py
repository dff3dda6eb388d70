"""Golden set stores (``index.backend``): kept where the backend keeps its document registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.settings import Settings
from autbot.ports.golden_set_store import GoldenSetStore

if TYPE_CHECKING:
    from autbot.adapters.weaviate.connection import WeaviateConnection


def sqlite_golden_sets(s: Settings, data_dir: Path) -> Iterator[GoldenSetStore]:
    """In the registry's file (its schema version 2)."""
    from autbot.adapters.registry.sqlite_golden_sets import SqliteGoldenSetStore

    path = data_dir / "index" / "registry.sqlite3"
    yield from closing(SqliteGoldenSetStore(path, migrate=s.storage.migrate_on_start))


def weaviate_golden_sets(s: Settings, connection: WeaviateConnection) -> GoldenSetStore:
    from autbot.adapters.weaviate.golden_sets import WeaviateGoldenSetStore

    return WeaviateGoldenSetStore(connection, replication_factor=s.index.weaviate.replication_factor)


def memory_golden_sets() -> GoldenSetStore:
    from autbot.adapters.registry.memory_golden_sets import InMemoryGoldenSetStore

    return InMemoryGoldenSetStore()
