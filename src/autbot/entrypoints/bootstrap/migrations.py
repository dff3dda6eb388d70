"""The stores a configuration uses, as ``VersionedStore``s: what ``autbot migrate`` checks and migrates.

The embedded files (registry, keyword index, Chroma layout, keys, sessions, audit) migrate themselves when their
adapter opens them (``storage.migrate_on_start``); the shared stores (Redis layouts, the Weaviate schema)
are migrated here at start-up, before the first request (``migrate_shared_stores``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from loguru import logger

from autbot.domain.errors import DependencyUnavailable
from autbot.entrypoints.settings import Settings
from autbot.ports.versioned_store import VersionedStore
from autbot.use_cases.migrations import open_current


def embedded_stores(s: Settings, *, read_only: bool) -> list[VersionedStore]:
    """The SQLite files and the Chroma layout under ``storage.data_dir`` that this configuration uses and that
    exist (a missing one is created at the latest version when the server first opens it)."""
    from autbot.adapters.audit.sqlite import audit_file_versions
    from autbot.adapters.chunk_index.files import ChromaLayout
    from autbot.adapters.chunk_index.keywords import keyword_index_versions
    from autbot.adapters.keys.sqlite import key_file_versions
    from autbot.adapters.registry.sqlite import registry_versions
    from autbot.adapters.sessions.sqlite import session_file_versions

    data, index = Path(s.storage.data_dir), Path(s.storage.data_dir) / "index"
    files: list[tuple[bool, Path, Callable[..., VersionedStore]]] = [
        (s.index.backend == "chroma", index / "registry.sqlite3", registry_versions),
        (s.index.backend == "chroma", index / "keywords.sqlite3", keyword_index_versions),
        (s.auth.keys_backend == "sqlite", data / "keys.sqlite3", key_file_versions),
        (s.sessions.backend == "sqlite", data / "sessions.sqlite3", session_file_versions),
        (s.audit.backend == "sqlite", data / "audit.sqlite3", audit_file_versions),
    ]
    stores = [versions(path, read_only=read_only) for used, path, versions in files if used and path.exists()]
    if s.index.backend == "chroma" and (index / "chroma").exists():
        stores.append(ChromaLayout(index))
    return stores


def shared_stores(s: Settings, redis: Callable[[], Any], weaviate: Callable[[], Any]) -> list[VersionedStore]:
    """The Redis layouts and the Weaviate schema this configuration uses, on the container's clients."""
    stores: list[VersionedStore] = []
    if s.auth.keys_backend == "redis":
        from autbot.adapters.keys.redis import redis_key_versions

        stores.append(redis_key_versions(redis()))
    if s.sessions.backend == "redis":
        from autbot.adapters.sessions.redis import redis_session_versions

        stores.append(redis_session_versions(redis()))
    if s.audit.backend == "redis":
        from autbot.adapters.audit.redis import redis_audit_versions

        stores.append(redis_audit_versions(redis()))
    if s.index.backend == "weaviate":
        from autbot.adapters.weaviate.versions import WeaviateVersions

        stores.append(WeaviateVersions(weaviate(), replication_factor=s.index.weaviate.replication_factor))
    return stores


def migrate_shared_stores(s: Settings, redis: Callable[[], Any], weaviate: Callable[[], Any]) -> None:
    """At start-up: bring each shared store to its version, or refuse one that is newer (or behind, with
    ``storage.migrate_on_start`` false). One that cannot be reached is logged and left: the server starts
    as it does with that store down (``/ready`` says so), and the next start checks again."""
    for store in shared_stores(s, redis, weaviate):
        try:
            done = open_current(store, migrate=s.storage.migrate_on_start)
        except DependencyUnavailable as e:
            logger.warning("Could not check the {} store's version at start ({}): {}", store.store, e.code, e.message)
            continue
        if done.pending:
            logger.info("Migrated the {} store from schema version {} to {}.", done.store, done.current, done.target)
