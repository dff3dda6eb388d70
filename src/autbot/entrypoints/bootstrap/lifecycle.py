"""The container's life: adapters built at start-up (a broken configuration fails before the first request),
shared stores migrated, interrupted writes finished; resources closed at shutdown."""

from __future__ import annotations

from autbot.entrypoints.bootstrap.container import Container
from autbot.entrypoints.bootstrap.migrations import migrate_shared_stores
from autbot.entrypoints.bootstrap.recovery import finish_interrupted_writes


def start(container: Container) -> None:
    """Build the adapters now, so that a broken configuration fails at start-up, not on a request."""
    container.embedders()
    migrate_shared_stores(container.settings(), container.redis, container.weaviate)
    container.chunk_index()
    container.registry()
    container.golden_set_store()
    container.llm()
    container.splitter()
    container.reader()
    container.key_store()
    container.session_store()
    container.record_audit().prune()  # records past the retention go at start-up
    container.rate_limiter()
    container.token_budget()
    finish_interrupted_writes(
        container.chunk_index(), container.registry(), container.document_locks()
    )  # before the first request: no replaced version's chunks remain


def stop(container: Container) -> None:
    container.shutdown_resources()


async def aclose(container: Container) -> None:
    """Close the asyncio clients (in the server's event loop, at shutdown)."""
    if container.settings().limits.storage == "redis":
        await container.quota_redis().aclose()
    await container.llm().aclose()
