"""The schema version of what AutBot creates in Weaviate, on a real node: a 0.1.0 registry (no version) is
migrated, a second run changes nothing, a newer version is refused, and the registry keeps working."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autbot.adapters.weaviate.connection import WeaviateConnection
from autbot.adapters.weaviate.registry import WeaviateDocumentRegistry
from autbot.adapters.weaviate.schema import COLLECTIONS, create_registry_collections
from autbot.adapters.weaviate.versions import WeaviateVersions
from autbot.domain.errors import SchemaTooNew
from autbot.use_cases.migrations import MigrateStores, open_current
from tests.support.backends import collection_info
from tests.support.weaviate import WeaviateNodes

pytestmark = [pytest.mark.slow, pytest.mark.weaviate]


@pytest.fixture
def connection(weaviate_node: WeaviateNodes) -> Iterator[WeaviateConnection]:
    conn = WeaviateConnection(**weaviate_node.settings())  # type: ignore[arg-type]
    yield conn
    conn.close()


def _description(conn: WeaviateConnection) -> str | None:
    return conn.client.collections.use(COLLECTIONS).config.get().description  # type: ignore[no-any-return]


def test_a_release_registry_is_migrated_once_and_a_newer_one_refused(connection: WeaviateConnection) -> None:
    create_registry_collections(connection, 1)  # as 0.1.0 made it (or as an earlier test left it)
    connection.client.collections.use(COLLECTIONS).config.update(description="")
    versions = WeaviateVersions(connection)
    assert versions.version() == 0
    (done,) = MigrateStores([versions]).execute()
    assert (done.current, done.target) == (0, 3)
    assert _description(connection) == "autbot-schema=3"
    assert connection.client.collections.exists("AutbotGoldenSets")  # step 2
    assert connection.client.collections.exists("AutbotSources")  # step 3
    assert not MigrateStores([versions]).execute()[0].pending
    registry = WeaviateDocumentRegistry(connection)
    registry.add_collection(collection_info("versions-probe"))
    assert registry.get_collection("versions-probe") is not None
    registry.remove_collection("versions-probe")
    connection.client.collections.use(COLLECTIONS).config.update(description="autbot-schema=4")
    try:
        with pytest.raises(SchemaTooNew, match="weaviate store is at schema version 4"):
            open_current(versions, migrate=True)
    finally:
        connection.client.collections.use(COLLECTIONS).config.update(description="autbot-schema=3")
