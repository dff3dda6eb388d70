"""Start-up recovery: finish what a crash cut short before the first request is served."""

from __future__ import annotations

from loguru import logger

from autbot.domain.errors import DependencyUnavailable
from autbot.ports.chunk_index import ChunkIndex
from autbot.ports.document_locks import DocumentLocks
from autbot.ports.document_registry import DocumentRegistry
from autbot.use_cases.replacements import FinishReplacements


def finish_interrupted_writes(chunks: ChunkIndex, registry: DocumentRegistry, locks: DocumentLocks) -> None:
    """Finish document replacements a crash or a failing store cut short (``FinishReplacements``). A store
    that is down does not stop the server from starting: the next write of each such document finishes it."""
    use_case = FinishReplacements(chunks=chunks, registry=registry, locks=locks)
    try:
        done = use_case.execute()
    except DependencyUnavailable as e:
        logger.warning("Could not look for interrupted document replacements at start ({}): {}", e.code, e.message)
        return
    if done.documents:
        logger.warning(
            "Finished {} document replacements in {} collections that a crash or a failing store had cut short: "
            "the replaced versions' chunks are removed.",
            done.documents,
            done.collections,
        )
