"""Settings of ingestion jobs: where their queue and records live, who works them, and their limits.

Kept apart from :mod:`.schema` (which imports this section). Defaults come from :mod:`autbot.domain.limits`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from autbot.domain import limits

JobsBackend = Literal["embedded", "redis"]


class JobsSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    backend: JobsBackend = "embedded"
    """``embedded``: queue, job records and inputs are files under ``storage.data_dir/jobs`` (one host; survives
    ``kill -9``), worked by the server's own threads. ``redis``: all three on ``redis.url``, worked by
    ``autbot worker`` processes on any host (and by the server's threads if ``workers`` > 0)."""
    workers: Annotated[int, msgspec.Meta(ge=0, le=64)] = limits.JOB_WORKERS
    """Worker threads in the server process; 0: this process only accepts jobs (``autbot worker`` runs them)."""
    nice: Annotated[int, msgspec.Meta(ge=0, le=19)] = limits.JOB_WORKER_NICE
    """How much lower each worker thread's CPU priority is than the server's (Linux; ignored elsewhere)."""
    embedder_threads: Annotated[int, msgspec.Meta(ge=0, le=64)] = limits.JOB_EMBEDDER_THREADS
    """With the ONNX embedder: the workers' own embedding session with this many threads (1: it computes in the
    worker's own, lower-priority thread, so ingestion takes at most one core from answers). 0: the workers share
    the server's embedder (all cores, at the server's priority)."""
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = limits.JOB_BATCH_SIZE
    """Documents (or files) ingested and committed at a time; other jobs' batches take turns in between."""
    batch_bytes: Annotated[int, msgspec.Meta(ge=1024, le=1024**3)] = limits.JOB_BATCH_BYTES
    """A batch closes before its text (characters) or files (bytes) pass this; a larger file is a batch alone."""
    max_documents: Annotated[int, msgspec.Meta(ge=1)] = limits.MAX_JOB_DOCUMENTS
    """Documents (or files) in one job."""
    max_queued_jobs_per_key: Annotated[int, msgspec.Meta(ge=1)] = limits.MAX_QUEUED_JOBS_PER_KEY
    """Unfinished jobs per key (429 ``job_limit_reached`` past it)."""
    max_queued_documents_per_key: Annotated[int, msgspec.Meta(ge=1)] = limits.MAX_QUEUED_DOCUMENTS_PER_KEY
    """Documents of one key's unfinished jobs together (429 ``job_limit_reached`` past it)."""
    attempts: Annotated[int, msgspec.Meta(ge=1, le=100)] = limits.JOB_ATTEMPTS
    """Tries of a batch whose dependencies fail before its job ends ``failed``."""
    retry_base_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = limits.JOB_RETRY_BASE_S
    """Wait before the second try of a batch; each further try waits twice as long (at most 30 s)."""
    retention_s: Annotated[float, msgspec.Meta(ge=0)] = limits.JOB_RETENTION_S
    """How long an ended job (its record, failures and any inputs left) is kept after it ended; 0: for ever. The
    server and each worker delete expired ones every few minutes, a bounded number at a time."""
    reindex_batch_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = limits.REINDEX_BATCH_SIZE
    """Documents a re-index job (``POST /v1/collections/{c}/reindex``) builds at a time."""
    reindex_max_drop: Annotated[float, msgspec.Meta(ge=0, le=1)] = limits.REINDEX_MAX_DROP
    """The re-index quality gate's margin: how much lower the new generation's NDCG@10 may be than the live one's
    for the switch to happen (a request's ``max_drop`` overrides it)."""
    reindex_retention_s: Annotated[float, msgspec.Meta(ge=0)] = limits.GENERATION_RETENTION_S
    """How long the generation replaced by a switch (and a held one) is kept, so one call rolls back to it."""
    redis_heartbeat_timeout_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 30.0
    """``redis`` backend: a worker silent this long is taken for dead, and the batch it held is delivered to
    another (a live worker beats every quarter of it, also while it works)."""
    redis_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9:_.-]{1,64}$")] = "autbot:jobs:"
    """Key prefix of the ``redis`` backend (queue, records, inputs)."""
