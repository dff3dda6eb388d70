"""The generation store beside each registry: in its SQLite file, in its Weaviate cluster, or in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.settings import Settings
from autbot.ports.generation_store import GenerationStore

if TYPE_CHECKING:
    from autbot.adapters.weaviate.connection import WeaviateConnection


def sqlite_generations(s: Settings, data_dir: Path) -> Iterator[GenerationStore]:
    """In the registry's file (its schema version 3)."""
    from autbot.adapters.registry.sqlite_generations import SqliteGenerationStore

    yield from closing(
        SqliteGenerationStore(data_dir / "index" / "registry.sqlite3", migrate=s.storage.migrate_on_start)
    )


def memory_generations(registry: Any) -> GenerationStore:
    """Beside the in-memory registry, whose collection records it switches (``point_to``)."""
    from autbot.adapters.registry.memory_generations import InMemoryGenerationStore

    return InMemoryGenerationStore(registry)


def weaviate_generations(s: Settings, connection: WeaviateConnection) -> GenerationStore:
    """On the container's shared connection: records on the registry's collection objects."""
    from autbot.adapters.weaviate.generations import WeaviateGenerationStore

    return WeaviateGenerationStore(connection, replication_factor=s.index.weaviate.replication_factor)
