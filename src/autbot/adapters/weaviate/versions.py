"""The schema version of what AutBot creates in Weaviate, recorded in the registry collection's description.

``AutbotCollections`` carries the description ``autbot-schema=<n>``; no such collection, or no such
description (the 0.1.0 layout), is version 0. Weaviate has no transactions, so every step is idempotent
(creating what is missing, never recreating) and the version is written last: a step cut short is run
again, whole, on the next start.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from autbot.adapters.weaviate.connection import WeaviateConnection
from autbot.adapters.weaviate.schema import (
    COLLECTIONS,
    create_generation_records,
    create_golden_set_collections,
    create_registry_collections,
)

_RECORD = re.compile(r"autbot-schema=(\d{1,9})")


@dataclass(frozen=True, slots=True)
class WeaviateStep:
    description: str
    run: Callable[[WeaviateConnection, int], None]
    """``run(connection, replication_factor)``: idempotent."""


MIGRATIONS = (
    WeaviateStep(
        "create the registry collections AutbotCollections and AutbotDocuments (if absent) and record version 1",
        create_registry_collections,
    ),
    WeaviateStep(
        "create the golden set collections AutbotGoldenSets and AutbotEvaluations (if absent) and record version 2",
        create_golden_set_collections,
    ),
    WeaviateStep(
        "add the live generation and generation records to AutbotCollections, create AutbotSources, record version 3",
        create_generation_records,
    ),
)


class WeaviateVersions:
    """AutBot's Weaviate schema as a ``VersionedStore``."""

    store = "weaviate"
    steps = tuple(s.description for s in MIGRATIONS)

    def __init__(self, connection: WeaviateConnection, *, replication_factor: int = 1) -> None:
        self._conn = connection
        self._replication = replication_factor

    def version(self) -> int:
        def read() -> int:
            if not self._conn.client.collections.exists(COLLECTIONS):
                return 0
            description = self._conn.client.collections.use(COLLECTIONS).config.get().description or ""
            found = _RECORD.fullmatch(description)
            return int(found.group(1)) if found else 0

        return self._conn.call(read)

    def apply(self, step: int) -> bool:
        if self.version() != step:
            return False

        def run() -> None:
            MIGRATIONS[step].run(self._conn, self._replication)
            self._conn.client.collections.use(COLLECTIONS).config.update(description=f"autbot-schema={step + 1}")

        self._conn.call(run)
        return True
