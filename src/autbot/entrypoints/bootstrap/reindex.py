"""Re-indexing wired from settings: the use cases that start a re-index job, build its batches (in the job
workers), show, switch and roll back a collection's generations, and sweep those past their retention."""

from __future__ import annotations

from typing import Any

from autbot.entrypoints.bootstrap.factories.ingestion import splitter_factory
from autbot.entrypoints.settings import Settings
from autbot.ports.blob_store import BlobStore
from autbot.ports.job_queue import JobQueue
from autbot.ports.job_store import JobStore
from autbot.use_cases.generations import ActivateGeneration, DescribeCollection, RollBack, SweepGenerations
from autbot.use_cases.reindex import ReindexSettings, SubmitReindex
from autbot.use_cases.reindex_build import BuildGeneration

REINDEX_USE_CASES = ("submit_reindex", "describe_collection", "activate_generation", "roll_back")
"""The providers the HTTP entrypoint hands to the generations routes."""


def reindex_settings(s: Settings) -> ReindexSettings:
    j = s.jobs
    return ReindexSettings(
        batch_size=j.reindex_batch_size, max_drop=j.reindex_max_drop, retention_s=j.reindex_retention_s
    )


def build_generation(settings: Settings, container: Any, blobs: BlobStore, embedders: Any) -> BuildGeneration:
    """The workers' part of a re-index job (``RunBatch`` hands it the batches of jobs of kind ``reindex``), over
    the workers' embedders (``jobs.job_catalogue``)."""
    return BuildGeneration(
        registry=container.registry(),
        generations=container.generation_store(),
        embedders=embedders,
        chunks=container.chunk_index(),
        splitter=container.splitter(),
        locks=container.document_locks(),
        blobs=blobs,
        golden_sets=container.golden_set_store(),
        search=container.search_chunks(),
        settings=reindex_settings(settings),
        splitters=splitter_factory(settings),
    )


def reindex_use_cases(
    settings: Settings, container: Any, store: JobStore, queue: JobQueue, blobs: BlobStore
) -> dict[str, object]:
    registry, generations = container.registry(), container.generation_store()
    switching = {"registry": registry, "generations": generations, "retention_s": settings.jobs.reindex_retention_s}
    return {
        "submit_reindex": SubmitReindex(
            registry=registry,
            generations=generations,
            embedders=container.embedders(),
            chunks=container.chunk_index(),
            store=store,
            queue=queue,
            blobs=blobs,
            settings=reindex_settings(settings),
        ),
        "describe_collection": DescribeCollection(**switching),
        "activate_generation": ActivateGeneration(**switching),
        "roll_back": RollBack(**switching),
    }


def sweep_generations(container: Any, jobs: JobStore) -> SweepGenerations:
    return SweepGenerations(
        registry=container.registry(),
        generations=container.generation_store(),
        chunks=container.chunk_index(),
        jobs=jobs,
    )
